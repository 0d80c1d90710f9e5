"""Reads of the organisation trees, always through the scope filter; history "as it was"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from dangjian.core.registries import org_warnings
from dangjian.core.scope import restrict
from dangjian.orgs.models import Department, OrgEvent, PartyOrg, Unit, path_ids, subtree_range


def org_list(*, user: Any, action: str = "view") -> QuerySet[PartyOrg]:
    return restrict(PartyOrg.objects.all(), user, action)


def unit_list(*, user: Any, action: str = "view") -> QuerySet[Unit]:
    return restrict(Unit.objects.all(), user, action)


def department_list(*, user: Any, action: str = "view") -> QuerySet[Department]:
    return restrict(Department.objects.select_related("party_org"), user, action)


def subtree(org: PartyOrg) -> QuerySet[PartyOrg]:
    """The organisation and everything below it (one indexed prefix predicate)."""
    return PartyOrg.objects.filter(path__startswith=org.path)


def branch_of(org: PartyOrg) -> PartyOrg | None:
    """The branch an organisation belongs to (itself, or the branch above a group)."""
    node: PartyOrg | None = org
    while node is not None and node.kind == PartyOrg.Kind.GROUP:
        node = node.parent
    return node


# --- party organisations ------------------------------------------------------------------


def org_search(
    *,
    user: Any,
    q: str = "",
    kind: str = "",
    active: str = "",
    warning: str = "",
    under: PartyOrg | None = None,
    action: str = "view",
) -> QuerySet[PartyOrg]:
    """Organisations for the list page and the export, filtered.

    ``active``: ``"1"`` active only, ``"0"`` dissolved only. ``warning``: ``"any"``, ``"red"``
    or ``"yellow"`` keeps organisations with such a rule warning (checks are set-based).
    """
    qs = org_list(user=user, action=action).select_related("parent")
    if q:
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(code=q.strip()))
    if kind in PartyOrg.Kind.values:
        qs = qs.filter(kind=kind)
    if active == "1":
        qs = qs.filter(dissolved_on__isnull=True)
    elif active == "0":
        qs = qs.filter(dissolved_on__isnull=False)
    if under is not None:
        qs = qs.filter(path__startswith=under.path)
    if warning in ("any", "red", "yellow"):
        ids = list(qs.filter(dissolved_on__isnull=True).values_list("pk", flat=True))
        flagged = [
            pk
            for pk, found in org_warnings(ids).items()
            if any(warning in ("any", w.level) for w in found)
        ]
        qs = qs.filter(pk__in=flagged)
    return qs


def org_get(*, user: Any, pk: int, action: str = "view") -> PartyOrg | None:
    """One organisation in scope (dissolved ones too: they stay resolvable by id)."""
    return (
        org_list(user=user, action=action)
        .select_related("parent", "merged_into")
        .filter(pk=pk)
        .first()
    )


def org_roots(*, user: Any) -> QuerySet[PartyOrg]:
    """The top of the tree this user sees: visible organisations whose parent is not visible."""
    visible = org_list(user=user)
    return visible.exclude(parent__in=visible.values("pk")).order_by("sort_order", "path")


def org_children(*, user: Any, org: PartyOrg, include_dissolved: bool = False) -> QuerySet[Any]:
    qs = org_list(user=user).filter(parent=org)
    if not include_dissolved:
        qs = qs.filter(dissolved_on__isnull=True)
    return qs.order_by("sort_order", "path")


def with_child_counts(qs: QuerySet[PartyOrg]) -> QuerySet[PartyOrg]:
    """Annotate ``active_children`` (for the tree's expand buttons) in the same query."""
    children = (
        PartyOrg.objects.filter(parent=OuterRef("pk"), dissolved_on__isnull=True)
        .order_by()
        .values("parent")
    )
    return qs.annotate(
        active_children=Coalesce(Subquery(children.annotate(c=Count("pk")).values("c")[:1]), 0)
    )


def full_names(model: type[PartyOrg] | type[Unit], nodes: Iterable[Any]) -> dict[int, str]:
    """ "党委 / 支部 / 小组" (or "矿 / 区队 / 班组") for each node: one query for all ancestors."""
    nodes = list(nodes)
    wanted = {pk for node in nodes for pk in path_ids(node.path)}
    names = dict(model.objects.filter(pk__in=wanted).values_list("pk", "name"))
    for node in nodes:
        names[node.pk] = node.name
    return {node.pk: " / ".join(names.get(pk, "…") for pk in path_ids(node.path)) for node in nodes}


def org_full_names(orgs: Iterable[PartyOrg]) -> dict[int, str]:
    """ "党委 / 支部 / 小组" for each organisation: one query for all ancestors."""
    return full_names(PartyOrg, orgs)


def _within_path(user: Any, within: int | None) -> str | None:
    """The path of the organisation a dependent picker is narrowed to, if the user sees it."""
    if not within:
        return None
    return org_list(user=user).filter(pk=within).values_list("path", flat=True).first() or ""


def org_picker_matches(
    *,
    user: Any,
    q: str,
    kind: str = "",
    within: int | None = None,
    limit: int = 20,
) -> list[tuple[PartyOrg, str]]:
    """Scoped organisations matching ``q`` with their full path, for the tree picker;
    optionally only one ``kind`` and only under the organisation ``within`` (in scope)."""
    qs = org_list(user=user).filter(dissolved_on__isnull=True)
    if kind in PartyOrg.Kind.values:
        qs = qs.filter(kind=kind)
    root = _within_path(user, within)
    if root is not None:
        qs = qs.filter(**subtree_range(root)) if root else qs.none()
    return _picker_matches(PartyOrg, qs, q, limit)


def unit_picker_matches(
    *, user: Any, q: str, within: int | None = None, limit: int = 20
) -> list[tuple[Unit, str]]:
    """Scoped units matching ``q`` with their full path, for the unit picker; optionally only
    units led by the party organisation ``within`` (in scope) or one below it."""
    qs = unit_list(user=user).filter(dissolved_on__isnull=True)
    root = _within_path(user, within)
    if root is not None:
        qs = qs.filter(**subtree_range(root, via="party_org__")) if root else qs.none()
    return _picker_matches(Unit, qs, q, limit)


def _picker_matches(model: Any, qs: QuerySet[Any], q: str, limit: int) -> list[tuple[Any, str]]:
    """The first ``limit`` nodes of ``qs`` (in tree order) whose name contains ``q``, each
    with its full path."""
    q = (q or "").strip()
    if q:
        qs = qs.filter(name__icontains=q)
    found = list(qs.order_by("path")[:limit])
    full = full_names(model, found)
    return [(node, full[node.pk]) for node in found]


def org_history(*, user: Any, org: PartyOrg) -> QuerySet[OrgEvent]:
    """The organisation's restructuring timeline (the org itself is already in scope)."""
    return (
        OrgEvent.objects.filter(org=org)
        .select_related("old_parent", "new_parent", "related_org")
        .order_by("-effective_on", "-id")
    )


def _name_then(date: dt.date) -> Coalesce:
    later_rename = OrgEvent.objects.filter(
        org=OuterRef("pk"), kind=OrgEvent.Kind.RENAME, effective_on__gt=date
    ).order_by("effective_on", "id")
    return Coalesce(Subquery(later_rename.values("old_name")[:1]), F("name"))


def org_names_at(org_ids: Iterable[int], date: dt.date) -> dict[int, str]:
    """The names the organisations bore on ``date`` (one query for any number of ids).

    The name on a date is the old name of the first rename that took effect after it, or
    the current name when there was none. Dissolved organisations resolve like any other.
    """
    ids = list(set(org_ids))
    if not ids:
        return {}
    rows = PartyOrg.objects.filter(pk__in=ids).annotate(name_then=_name_then(date))
    return dict(rows.values_list("pk", "name_then"))


def org_name_at(org: PartyOrg | int, date: dt.date) -> str:
    pk = org if isinstance(org, int) else org.pk
    return org_names_at([pk], date).get(pk, "")


# --- units --------------------------------------------------------------------------------


def unit_search(
    *, user: Any, q: str = "", kind: str = "", party_org: int | None = None
) -> QuerySet[Unit]:
    qs = unit_list(user=user).select_related("parent", "party_org")
    if q:
        qs = qs.filter(name__icontains=q.strip())
    if kind in Unit.Kind.values:
        qs = qs.filter(kind=kind)
    if party_org:
        org = PartyOrg.objects.filter(pk=party_org).only("path").first()
        qs = qs.filter(party_org__path__startswith=org.path) if org else qs.none()
    return qs


def unit_get(*, user: Any, pk: int, action: str = "view") -> Unit | None:
    return (
        unit_list(user=user, action=action)
        .select_related("parent", "party_org")
        .filter(pk=pk)
        .first()
    )


def unit_roots(*, user: Any) -> QuerySet[Unit]:
    visible = unit_list(user=user)
    return visible.exclude(parent__in=visible.values("pk")).order_by("sort_order", "path")


def unit_children(*, user: Any, unit: Unit) -> QuerySet[Unit]:
    return unit_list(user=user).filter(parent=unit).order_by("sort_order", "path")


def with_unit_child_counts(qs: QuerySet[Unit]) -> QuerySet[Unit]:
    children = Unit.objects.filter(parent=OuterRef("pk")).order_by().values("parent")
    return qs.annotate(
        child_count=Coalesce(Subquery(children.annotate(c=Count("pk")).values("c")[:1]), 0)
    )
