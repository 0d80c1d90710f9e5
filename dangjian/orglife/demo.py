"""A year of organisational life for the demo mine (registered as a demo loader).

Every branch holds its 三会一课, theme days and yearly meetings over the last twelve months,
with some absences (leave, shifts) in the attendance. A few gaps make the warnings show:
one branch skipped last quarter's general meeting (red), one held it below quorum (red, the
meeting does not count), one missed last month's theme day (red), one has been silent for
six weeks (yellow). A handful of meetings are planned for the coming weeks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.utils import timezone

from dangjian.core.periods import Period
from dangjian.demo.bulk import insert, next_id
from dangjian.orglife.models import Meeting, MeetingAttendance, MeetingType
from dangjian.orglife.rules import seed_meeting_types
from dangjian.orglife.services import quorum_result
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person, PoliticalStatus

TOPICS = {
    "branch_general": "学习贯彻上级会议精神，讨论支部重点工作",
    "branch_committee": "研究本月党建与安全生产重点工作",
    "group_meeting": "学习安全规程，交流岗位建功情况",
    "party_lecture": "党课：强化党员安全责任意识",
    "theme_day": "主题党日：党员安全示范岗志愿服务",
    "org_life_meeting": "年度组织生活会：对照检查，开展批评与自我批评",
    "member_appraisal": "民主评议党员",
    "heart_talk": "支部书记与党员谈心谈话",
}
DAY_OF_MONTH = {
    "branch_committee": 5,
    "theme_day": 10,
    "group_meeting": 15,
    "branch_general": 20,
    "party_lecture": 25,
    "org_life_meeting": 12,
    "member_appraisal": 16,
    "heart_talk": 3,
}
ABSENCE_REASONS = ["井下当班", "外出培训", "病假", "探亲"]


def _day(period: Period, code: str) -> dt.date:
    """The meeting's date: the middle month of a quarter, December of a year."""
    if period.kind == "quarter":
        month = period.start.replace(day=1) + dt.timedelta(days=40)
    elif period.kind == "year":
        month = dt.date(period.start.year, 12, 1)
    else:
        month = period.start
    return month.replace(day=DAY_OF_MONTH[code])


def load(*, today: dt.date, rng: random.Random) -> None:
    seed_meeting_types(MeetingType)
    types = {t.code: t for t in MeetingType.objects.all()}
    branches = list(
        PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH, dissolved_on__isnull=True).order_by(
            "path"
        )
    )
    groups = list(
        PartyOrg.objects.filter(kind=PartyOrg.Kind.GROUP, dissolved_on__isnull=True).order_by(
            "path"
        )
    )
    by_org: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    by_group: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    rows = Person.objects.filter(
        political_status__in=PARTY_MEMBER_STATUSES, is_employed=True
    ).values_list("pk", "party_org_id", "party_group_id", "political_status")
    for pk, org_id, group_id, status in rows:
        voting = status == PoliticalStatus.FULL
        by_org[org_id].append((pk, voting))
        if group_id:
            by_group[group_id].append((pk, voting))

    current_month = Period.containing(today, "month")
    months: list[Period] = [current_month]
    while len(months) < 13:
        months.insert(0, months[0].previous())
    window_start = months[0].start
    last_quarter = Period.containing(today, "quarter").previous()
    last_month = current_month.previous()
    red_general = {b.pk for i, b in enumerate(branches) if i == 2}
    below_quorum = {b.pk for i, b in enumerate(branches) if i == 4}
    red_theme = {b.pk for i, b in enumerate(branches) if i == 10}
    silent = {b.pk for i, b in enumerate(branches) if i == 6}

    pk = next_id(Meeting)
    meetings: list[Meeting] = []
    attendances: list[MeetingAttendance] = []

    def add(org: PartyOrg, code: str, period: Period, people: list[tuple[int, bool]]) -> None:
        nonlocal pk
        mt = types[code]
        day = _day(period, code)
        if day < window_start or not people:
            return
        quiet = org.pk in silent or org.parent_id in silent  # its groups too
        if quiet and day > today - dt.timedelta(days=45) and day <= today:
            return
        future = day >= today
        if future and day > today + dt.timedelta(days=40):
            return
        meeting = Meeting(
            pk=pk,
            org_id=org.pk,
            meeting_type=mt,
            title=f"{org.name}{period.label}{mt.name}",
            planned_at=timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0))),
            held_on=day,
            period_start=period.start,
            period_end=period.end,
            location="党员活动室",
            host="支部书记",
            state=Meeting.State.NOTICE if future else Meeting.State.ARCHIVED,
        )
        pk += 1
        if code == "branch_committee":
            people = [p for p in people if p[1]][:5] or people[:3]
        present_share = 0.4 if org.pk in below_quorum and period == last_quarter else 0.9
        rows: list[MeetingAttendance] = []
        for person_id, voting in people:
            if future:
                status, reason = MeetingAttendance.Status.INVITED, ""
            elif rng.random() < present_share:
                status, reason = MeetingAttendance.Status.PRESENT, ""
            else:
                status = rng.choice(
                    [MeetingAttendance.Status.LEAVE, MeetingAttendance.Status.ABSENT]
                )
                reason = rng.choice(ABSENCE_REASONS)
            rows.append(
                MeetingAttendance(
                    meeting=meeting,
                    person_id=person_id,
                    status=status,
                    reason=reason,
                    is_voting=voting,
                    method=MeetingAttendance.Method.QR if status == "present" else "",
                    checked_in_at=meeting.planned_at if status == "present" else None,
                )
            )
        meeting.invited_count = len(rows)
        meeting.present_count = sum(1 for r in rows if r.status == "present")
        if not future:
            meeting.quorate = quorum_result(mt, rows)[0]
            meeting.topic = TOPICS[code]
            meeting.content = f"{meeting.host}主持会议，{TOPICS[code]}。与会党员结合岗位实际发言。"
            meeting.resolutions = "按会议部署抓好落实。" if mt.quorum != "none" else ""
        meetings.append(meeting)
        attendances.extend(rows)

    seen: set[tuple[str, dt.date]] = set()
    periods: list[tuple[str, Period]] = []
    for month in months:
        for code, mt in types.items():
            period = Period.containing(month.start, mt.frequency)
            if (code, period.start) not in seen:
                seen.add((code, period.start))
                periods.append((code, period))
    for branch in branches:
        people = by_org.get(branch.pk, [])
        for code, period in periods:
            mt = types[code]
            if not mt.applies(branch.kind, branch.has_committee):
                continue
            if code == "branch_general" and period == last_quarter and branch.pk in red_general:
                continue
            if code == "theme_day" and period == last_month and branch.pk in red_theme:
                continue
            add(branch, code, period, people)
    for group in groups:
        for code, period in periods:
            if types[code].applies(group.kind, False):
                add(group, code, period, by_group.get(group.pk, []))
    insert(Meeting, meetings)
    insert(MeetingAttendance, attendances)
    from dangjian.demo.wipe import reset_sequences

    reset_sequences([Meeting, MeetingAttendance])
