"""People follow organisation restructuring (merge, split, group moves, dissolve with target).

Registered as a restructure hook (``dangjian.core.registries``) from ``PeopleConfig.ready``;
the orgs services call it inside their transaction. Persons are moved with a few set-based
UPDATEs, and one ``PersonChange`` per moved person is written in bulk with the organisation
name snapshot of the new affiliation, so the history shows where they belonged at the time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core import context
from dangjian.core.registries import register_restructure_hook
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person, PersonChange

CHUNK = 500


def _affected(
    source: PartyOrg, person_ids: list[int] | None, group_ids: list[int] | None
) -> list[dict[str, Any]]:
    attached = Q(party_org=source) | Q(party_group=source)
    match = attached if person_ids is None else (Q(pk__in=person_ids) & attached)
    if group_ids:
        match |= Q(party_org=source, party_group_id__in=group_ids)
    if person_ids == [] and not group_ids:
        return []
    rows = (
        Person.objects.filter(match)
        .order_by("pk")
        .values("pk", "party_org_id", "party_group_id", "unit_id", "unit__name")
    )
    return [dict(row) for row in rows]


@register_restructure_hook
def people_follow_restructure(
    *,
    source: PartyOrg,
    target: PartyOrg,
    person_ids: list[int] | None,
    effective_on: dt.date,
    reason: str,
    actor: Any,
    group_ids: list[int] | None = None,
) -> None:
    """Move persons attached to ``source`` (all, the given ones, or a moved group's) to ``target``.

    ``party_org`` = source becomes target; ``party_group`` = source becomes target when the
    target is a group (a group merged into a group), else it is cleared.
    """
    rows = _affected(source, person_ids, group_ids)
    if not rows:
        return
    new_group = target if target.kind == PartyOrg.Kind.GROUP else None
    ids = [row["pk"] for row in rows]
    org_moves = [row["pk"] for row in rows if row["party_org_id"] == source.pk]
    group_moves = [row["pk"] for row in rows if row["party_group_id"] == source.pk]
    for start in range(0, len(ids), CHUNK):
        chunk = set(ids[start : start + CHUNK])
        Person.objects.filter(pk__in=[i for i in org_moves if i in chunk]).update(
            party_org=target, version=F("version") + 1, updated_at=timezone.now()
        )
        Person.objects.filter(pk__in=[i for i in group_moves if i in chunk]).update(
            party_group=new_group, version=F("version") + 1, updated_at=timezone.now()
        )
    names = dict(
        PartyOrg.objects.filter(
            pk__in={row["party_org_id"] for row in rows} | {target.pk}
        ).values_list("pk", "name")
    )
    actor_name = getattr(actor, "username", "") or getattr(context.current().user, "username", "")
    history = []
    for row in rows:
        changes: dict[str, Any] = {"reason": reason, "effective_on": effective_on.isoformat()}
        org_id = row["party_org_id"]
        if row["party_org_id"] == source.pk:
            changes["party_org"] = [source.pk, target.pk]
            org_id = target.pk
        if row["party_group_id"] == source.pk:
            changes["party_group"] = [source.pk, new_group.pk if new_group else None]
        history.append(
            PersonChange(
                person_id=row["pk"],
                actor_name=actor_name,
                source="restructure",
                changes=changes,
                party_org_id=org_id,
                party_org_name=names.get(org_id, ""),
                unit_id=row["unit_id"],
                unit_name=row["unit__name"] or "",
            )
        )
    PersonChange.objects.bulk_create(history, batch_size=CHUNK)
    audit_record(
        "restructure",
        obj=target,
        changes={
            "kind": "persons_follow",
            "from": source.pk,
            "to": target.pk,
            "persons": ids,
            "effective_on": effective_on.isoformat(),
        },
        reason=reason,
        actor=actor,
    )
