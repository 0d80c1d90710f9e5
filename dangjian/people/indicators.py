"""Indicators for the assessment engine from the member register (set-based, fixed queries).

``people.lost_contact``: members of the branch (its groups included) flagged lost contact;
``people.front_line_ratio``: party members among the front-line employees of the units the
branch covers, in %, against ``org.front_line_member_target``; ``people.profile_complete``:
share of the branch's members whose register entry carries the national minimum profile fields
kept here (education, post, phone, address; join and, for full members, regularisation dates).
The persons behind each number are its records.
"""

from __future__ import annotations

from typing import Any

from dangjian.core.periods import Period
from dangjian.core.registries import IndicatorValue, register_indicator
from dangjian.core.rules import rule
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, MembershipStatus, Person, PoliticalStatus

PERSON = "people.person"


def _owners(branch_ids: list[int]) -> tuple[dict[str, int], list[int]]:
    paths = dict(PartyOrg.objects.filter(pk__in=branch_ids).values_list("path", "pk"))
    return paths, sorted({len(p) for p in paths})


def _owner(paths: dict[str, int], widths: list[int], path: str | None) -> int | None:
    if not path:
        return None
    return next((paths[path[:w]] for w in widths if path[:w] in paths), None)


def _members() -> Any:
    return Person.objects.filter(
        political_status__in=PARTY_MEMBER_STATUSES, membership_status=MembershipStatus.NORMAL
    )


@register_indicator("people.lost_contact", "失联党员人数", "人")
def lost_contact(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    paths, widths = _owners(branch_ids)
    found: dict[int, list[int]] = {pk: [] for pk in branch_ids}
    rows = (
        Person.objects.filter(political_status__in=PARTY_MEMBER_STATUSES, lost_contact=True)
        .values_list("pk", "party_org__path")
        .order_by("pk")
    )
    for pk, path in rows:
        owner = _owner(paths, widths, path)
        if owner is not None:
            found[owner].append(pk)
    return {
        pk: IndicatorValue(
            float(len(people)),
            tuple((PERSON, p) for p in people),
            f"失联党员 {len(people)} 人" if people else "无失联党员",
        )
        for pk, people in found.items()
    }


@register_indicator("people.front_line_ratio", "一线职工中党员比例", "%")
def front_line_ratio(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    target = float(rule("org.front_line_member_target"))
    paths, widths = _owners(branch_ids)
    tally: dict[int, list[Any]] = {pk: [0, 0, []] for pk in branch_ids}
    rows = Person.objects.filter(
        is_front_line=True, is_employed=True, unit__party_org__isnull=False
    ).values_list("pk", "unit__party_org__path", "political_status")
    for pk, path, status in rows.order_by("pk"):
        owner = _owner(paths, widths, path)
        if owner is None:
            continue
        entry = tally[owner]
        entry[0] += 1
        if status in PARTY_MEMBER_STATUSES:
            entry[1] += 1
            entry[2].append((PERSON, pk))
    return {
        pk: IndicatorValue(
            round(members * 100 / workers, 1) if workers else 0.0,
            tuple(records),
            f"一线职工 {workers} 人，其中党员 {members} 人（目标 {target:.0%}）",
        )
        for pk, (workers, members, records) in tally.items()
    }


@register_indicator("people.profile_complete", "党员信息完整率", "%")
def profile_complete(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    paths, widths = _owners(branch_ids)
    tally: dict[int, list[Any]] = {pk: [0, 0, []] for pk in branch_ids}
    rows = (
        _members()
        .values_list(
            "pk",
            "party_org__path",
            "political_status",
            "education",
            "post",
            "phone_bidx",
            "address_sealed",
            "joined_party_on",
            "regularised_on",
        )
        .order_by("pk")
    )
    for pk, path, status, education, post, phone, address, joined, regularised in rows:
        owner = _owner(paths, widths, path)
        if owner is None:
            continue
        complete = bool(education and post and phone and address and joined) and (
            status != PoliticalStatus.FULL or regularised is not None
        )
        entry = tally[owner]
        entry[0] += 1
        if not complete:
            entry[1] += 1
            entry[2].append((PERSON, pk))
    return {
        pk: IndicatorValue(
            round((total - missing) * 100 / total, 1) if total else 100.0,
            tuple(records),
            f"党员 {total} 人，信息不完整 {missing} 人",
        )
        for pk, (total, missing, records) in tally.items()
    }
