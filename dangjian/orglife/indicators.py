"""Indicator functions for the assessment engine (registered with core.registries).

Each takes ``(branch_ids, period)`` and returns ``{branch_id: IndicatorValue}`` with the
meetings behind the number as ``("orglife.meeting", pk)`` records. Query counts are fixed
whatever the number of branches.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from dangjian.core.periods import Period
from dangjian.core.registries import IndicatorValue, register_indicator
from dangjian.orglife.models import COUNTING_STATES, Meeting, MeetingAttendance, Quorum
from dangjian.orglife.selectors.compliance import compliance
from dangjian.orgs.models import PartyOrg

MEETING = "orglife.meeting"
NEVER = 9999.0  # silent_days of a branch that never met


def _branches(branch_ids: list[int]) -> Any:
    return PartyOrg.objects.filter(pk__in=branch_ids)


def _records(pks: list[int]) -> tuple[tuple[str, int], ...]:
    return tuple((MEETING, pk) for pk in sorted(set(pks)))


@register_indicator("orglife.meetings_on_schedule", "按时召开规定会议比例", "%")
def meetings_on_schedule(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """Share of the required meetings due in ``period`` that were held on time."""
    today = timezone.localdate()
    result: dict[int, IndicatorValue] = {}
    for item in compliance(_branches(branch_ids), today=today, period=period):
        due = [s for s in item.slots if s.meetings or s.period.end < today]
        on_time = [s for s in due if s.status == "held"]
        value = len(on_time) / len(due) if due else 1.0
        result[item.org_id] = IndicatorValue(
            round(value * 100, 1),
            _records([pk for s in due for pk in s.meetings]),
            f"应开 {len(due)} 次，按时召开 {len(on_time)} 次",
        )
    return result


@register_indicator("orglife.quorum_rate", "会议达到法定人数比例", "%")
def quorum_rate(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """Of the held meetings with a quorum rule, the share that reached the quorum."""
    rows = (
        Meeting.objects.filter(
            org_id__in=branch_ids,
            state__in=COUNTING_STATES,
            held_on__gte=period.start,
            held_on__lte=period.end,
        )
        .exclude(meeting_type__quorum=Quorum.NONE)
        .values_list("org_id", "pk", "quorate")
    )
    found: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for org_id, pk, quorate in rows:
        found[org_id].append((pk, bool(quorate)))
    result = {}
    for branch in branch_ids:
        items = found.get(branch, [])
        ok = sum(1 for _, q in items if q)
        result[branch] = IndicatorValue(
            round(ok * 100 / len(items), 1) if items else 100.0,
            _records([pk for pk, _ in items]),
            f"须计法定人数的会议 {len(items)} 次，达到 {ok} 次",
        )
    return result


@register_indicator("orglife.attendance_rate", "党员参会率", "%")
def attendance_rate(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """Present / invited over the branch's held meetings (its groups' included)."""
    rows = (
        MeetingAttendance.objects.filter(
            Q(meeting__org_id__in=branch_ids) | Q(meeting__org__parent_id__in=branch_ids),
            meeting__state__in=COUNTING_STATES,
            meeting__held_on__gte=period.start,
            meeting__held_on__lte=period.end,
        )
        .values("meeting_id", "meeting__org_id", "meeting__org__parent_id")
        .annotate(
            invited=Count("pk"),
            present=Count("pk", filter=Q(status=MeetingAttendance.Status.PRESENT)),
        )
        .order_by()
    )
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    meetings: dict[int, list[int]] = defaultdict(list)
    wanted = set(branch_ids)
    for row in rows:
        branch = (
            row["meeting__org_id"]
            if row["meeting__org_id"] in wanted
            else row["meeting__org__parent_id"]
        )
        totals[branch][0] += row["invited"]
        totals[branch][1] += row["present"]
        meetings[branch].append(row["meeting_id"])
    result = {}
    for branch in branch_ids:
        invited, present = totals.get(branch, [0, 0])
        result[branch] = IndicatorValue(
            round(present * 100 / invited, 1) if invited else 0.0,
            _records(meetings.get(branch, [])),
            f"应到 {invited} 人次，实到 {present} 人次",
        )
    return result


@register_indicator("orglife.silent_days", "距最近一次组织生活天数", "天")
def silent_days(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """Days from the branch's last held meeting to the end of ``period`` (or today)."""
    day = min(period.end, timezone.localdate())
    rows = (
        Meeting.objects.filter(
            Q(org_id__in=branch_ids) | Q(org__parent_id__in=branch_ids),
            state__in=COUNTING_STATES,
            held_on__lte=day,
        )
        .values("org_id", "org__parent_id")
        .annotate(last=Max("held_on"), last_pk=Max("pk"))
        .order_by()
    )
    wanted = set(branch_ids)
    last: dict[int, tuple[Any, int]] = {}
    for row in rows:
        branch = row["org_id"] if row["org_id"] in wanted else row["org__parent_id"]
        if branch not in last or row["last"] > last[branch][0]:
            last[branch] = (row["last"], row["last_pk"])
    result = {}
    for branch in branch_ids:
        if branch in last:
            when, pk = last[branch]
            result[branch] = IndicatorValue(
                float((day - when).days), _records([pk]), f"最近一次：{when:%Y-%m-%d}"
            )
        else:
            result[branch] = IndicatorValue(NEVER, (), "从未开展组织生活")
    return result


# --- per meeting type (the 三会一课 items of the assessment scheme) -------------------------


def _type_on_schedule(
    branch_ids: list[int], period: Period, code: str, *, groups: bool = False
) -> dict[int, IndicatorValue]:
    """Share of the ``code`` meetings due in ``period`` held on time, per branch.

    With ``groups`` the slots are those of the branch's party groups (党小组会). A branch with
    nothing due scores 100. Query count is fixed (the compliance engine is set-based).
    """
    today = timezone.localdate()
    orgs = (
        PartyOrg.objects.filter(parent_id__in=branch_ids, kind=PartyOrg.Kind.GROUP)
        if groups
        else _branches(branch_ids)
    )
    owner = dict(orgs.values_list("pk", "parent_id")) if groups else {pk: pk for pk in branch_ids}
    tally: dict[int, list[Any]] = {pk: [0, 0, []] for pk in branch_ids}
    for item in compliance(orgs, today=today, period=period):
        branch = owner.get(item.org_id)
        if branch is None:
            continue
        for slot in item.slots:
            if slot.meeting_type.code != code or not (slot.meetings or slot.period.end < today):
                continue
            entry = tally[branch]
            entry[0] += 1
            entry[1] += int(slot.status == "held")
            entry[2].extend(slot.meetings)
    name = {
        "branch_general": "支部党员大会",
        "branch_committee": "支部委员会",
        "group_meeting": "党小组会",
        "party_lecture": "党课",
        "theme_day": "主题党日",
        "org_life_meeting": "组织生活会",
    }.get(code, code)
    return {
        pk: IndicatorValue(
            round(held * 100 / due, 1) if due else 100.0,
            _records(pks),
            f"{name}应开 {due} 次，按时召开 {held} 次" if due else f"考核期内{name}未到期",
        )
        for pk, (due, held, pks) in tally.items()
    }


@register_indicator("orglife.branch_assembly_on_schedule", "支部党员大会按期召开率", "%")
def branch_assembly_on_schedule(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    return _type_on_schedule(branch_ids, period, "branch_general")


@register_indicator("orglife.committee_meeting_on_schedule", "支部委员会按期召开率", "%")
def committee_meeting_on_schedule(
    branch_ids: list[int], period: Period
) -> dict[int, IndicatorValue]:
    return _type_on_schedule(branch_ids, period, "branch_committee")


@register_indicator("orglife.group_meeting_on_schedule", "党小组会按期召开率", "%")
def group_meeting_on_schedule(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    return _type_on_schedule(branch_ids, period, "group_meeting", groups=True)


@register_indicator("orglife.party_lecture_held", "党课按期讲授率", "%")
def party_lecture_held(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    return _type_on_schedule(branch_ids, period, "party_lecture")


@register_indicator("orglife.theme_day_held", "主题党日按月开展率", "%")
def theme_day_held(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    return _type_on_schedule(branch_ids, period, "theme_day")


@register_indicator("orglife.life_meeting_held", "组织生活会按期召开率", "%")
def life_meeting_held(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    return _type_on_schedule(branch_ids, period, "org_life_meeting")


@register_indicator("orglife.minutes_archived", "会议纪要归档率", "%")
def minutes_archived(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """Of the branch's (and its groups') held meetings in the period, the share archived."""
    rows = Meeting.objects.filter(
        Q(org_id__in=branch_ids) | Q(org__parent_id__in=branch_ids),
        state__in=COUNTING_STATES,
        held_on__gte=period.start,
        held_on__lte=period.end,
    ).values_list("pk", "org_id", "org__parent_id", "state")
    wanted = set(branch_ids)
    tally: dict[int, list[Any]] = {pk: [0, 0, []] for pk in branch_ids}
    for pk, org_id, parent_id, state in rows:
        owner = org_id if org_id in wanted else parent_id
        if owner not in tally:
            continue
        entry = tally[owner]
        entry[0] += 1
        entry[1] += int(state == Meeting.State.ARCHIVED)
        entry[2].append(pk)
    return {
        pk: IndicatorValue(
            round(done * 100 / held, 1) if held else 0.0,
            _records(pks),
            f"召开 {held} 次，纪要已归档 {done} 次",
        )
        for pk, (held, done, pks) in tally.items()
    }
