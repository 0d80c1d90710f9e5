"""Compliance engine: which required meetings each organisation held, missed or held late.

For every organisation and every applicable ``MeetingType`` (the rule table) the requirement
of one period of the type's frequency is a *slot*. A slot is

* ``held`` (green): a counting meeting (minutes recorded or archived, and quorate where the
  type has a quorum rule) was held for that period, within it;
* ``late`` (green, marked 补开): a counting meeting for that period was held after it ended;
* ``missing`` (red): the period ended without one (overdue);
* ``due_soon`` (yellow): not held and the period ends within ``orglife.due_soon_days`` days;
* ``pending`` / ``future``: not held yet, not due soon / period not started.

A branch is *silent* (yellow) when its last held meeting (its groups' included) is
``orglife.silent_days`` or more days ago, or it never met.

Everything is computed with a fixed number of set-based queries (organisations, rule table,
rules, counted meetings, last activity), whatever the number of organisations: the callers
pass the organisations as a queryset, which becomes a subquery.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Max, Q, QuerySet

from dangjian.core.periods import Period
from dangjian.core.rules import rules
from dangjian.orglife.models import COUNTING_STATES, Meeting, MeetingType
from dangjian.orgs.models import PartyOrg

LEVELS = {"held": "green", "late": "green", "missing": "red", "due_soon": "yellow"}
STATUS_LABELS = {
    "held": "已按时召开",
    "late": "补开（逾期）",
    "missing": "逾期未开",
    "due_soon": "即将到期",
    "pending": "本期待开",
    "future": "未到周期",
}
LEVEL_ORDER = {"red": 3, "yellow": 2, "green": 1, "": 0}


@dataclass
class Slot:
    meeting_type: MeetingType
    period: Period
    status: str = "pending"
    meetings: list[int] = field(default_factory=list)  # the counting meetings behind it
    on_time: bool = False

    @property
    def level(self) -> str:
        return LEVELS.get(self.status, "")

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass
class OrgCompliance:
    org_id: int
    name: str
    kind: str
    path: str
    slots: list[Slot] = field(default_factory=list)
    last_activity: dt.date | None = None
    silent: bool = False
    silent_days: int | None = None

    @property
    def level(self) -> str:
        levels = [s.level for s in self.slots]
        if self.silent:
            levels.append("yellow")
        return max(levels, key=lambda lv: LEVEL_ORDER[lv], default="")

    def slot(self, code: str) -> Slot | None:
        return next((s for s in self.slots if s.meeting_type.code == code), None)


def _orgs(orgs: QuerySet[PartyOrg]) -> list[dict[str, Any]]:
    rows = orgs.order_by("path").values("id", "name", "kind", "path", "has_committee", "parent_id")
    return [dict(row) for row in rows]


def _types() -> list[MeetingType]:
    return list(MeetingType.objects.filter(required=True).order_by("sort_order", "id"))


def periods_within(frequency: str, period: Period) -> list[Period]:
    """The periods of ``frequency`` that end inside ``period`` (a year has one yearly slot,
    a quarter three monthly ones; a yearly slot falls in the period holding 31 December)."""
    found: list[Period] = []
    day = period.start
    while day <= period.end:
        slot = Period.containing(day, frequency)
        if period.start <= slot.end <= period.end:
            found.append(slot)
        day = slot.end + dt.timedelta(days=1)
    return found


def _status(slot: Slot, today: dt.date, due_soon_days: int) -> str:
    if slot.meetings:
        return "held" if slot.on_time else "late"
    if today > slot.period.end:
        return "missing"
    if today < slot.period.start:
        return "future"
    if (slot.period.end - today).days <= due_soon_days:
        return "due_soon"
    return "pending"


def _counted(
    orgs: QuerySet[PartyOrg], starts: set[dt.date]
) -> dict[tuple[int, int, dt.date], list[tuple[int, bool]]]:
    rows = (
        Meeting.objects.filter(
            org__in=orgs.values("pk"),
            state__in=COUNTING_STATES,
            period_start__in=sorted(starts),
        )
        .exclude(quorate=False)
        .values_list("org_id", "meeting_type_id", "period_start", "pk", "held_on", "period_end")
        .order_by("held_on", "pk")
    )
    found: dict[tuple[int, int, dt.date], list[tuple[int, bool]]] = defaultdict(list)
    for org_id, type_id, start, pk, held_on, end in rows:
        found[(org_id, type_id, start)].append((pk, held_on <= end))
    return found


def last_activity(orgs: QuerySet[PartyOrg], today: dt.date) -> dict[int, dt.date]:
    """Last held meeting per organisation, its groups' meetings counted for their branch."""
    rows = (
        Meeting.objects.filter(
            Q(org__in=orgs.values("pk")) | Q(org__parent__in=orgs.values("pk")),
            state__in=COUNTING_STATES,
            held_on__lte=today,
        )
        .values("org_id", "org__parent_id")
        .annotate(last=Max("held_on"))
        .order_by()
    )
    result: dict[int, dt.date] = {}
    for row in rows:
        for key in (row["org_id"], row["org__parent_id"]):
            if key is not None and (key not in result or row["last"] > result[key]):
                result[key] = row["last"]
    return result


def compliance(
    orgs: QuerySet[PartyOrg],
    *,
    today: dt.date,
    period: Period | None = None,
    at: dt.date | None = None,
    types: list[MeetingType] | None = None,
) -> list[OrgCompliance]:
    """Compliance of each organisation, judged on ``today``.

    Slots: with ``period``, those ending inside it (indicators); with ``at``, those containing
    that day (the board for a chosen month); otherwise the current ones (containing ``today``)
    and the previous ones, overdue when missed (the to-do centre and the board by default).
    """
    settings = rules("orglife.silent_days", "orglife.due_soon_days")
    silent_days, due_soon_days = (
        int(settings["orglife.silent_days"]),
        int(settings["orglife.due_soon_days"]),
    )
    types = _types() if types is None else types
    plan: dict[int, list[Period]] = {}
    for mt in types:
        if period is not None:
            plan[mt.pk] = periods_within(mt.frequency, period)
        elif at is not None:
            plan[mt.pk] = [Period.containing(at, mt.frequency)]
        else:
            current = Period.containing(today, mt.frequency)
            plan[mt.pk] = [current.previous(), current]
    starts = {p.start for periods in plan.values() for p in periods}
    org_rows = _orgs(orgs)
    counted = _counted(orgs, starts)
    activity = last_activity(orgs, today)
    result: list[OrgCompliance] = []
    for row in org_rows:
        item = OrgCompliance(row["id"], row["name"], row["kind"], row["path"])
        for mt in types:
            if not mt.applies(row["kind"], row["has_committee"]):
                continue
            for slot_period in plan[mt.pk]:
                found = counted.get((row["id"], mt.pk, slot_period.start), [])
                slot = Slot(
                    mt,
                    slot_period,
                    meetings=[pk for pk, _ in found],
                    on_time=any(on_time for _, on_time in found),
                )
                slot.status = _status(slot, today, due_soon_days)
                item.slots.append(slot)
        if row["kind"] == PartyOrg.Kind.BRANCH:
            item.last_activity = activity.get(row["id"])
            if item.last_activity is not None:
                item.silent_days = (today - item.last_activity).days
            item.silent = item.last_activity is None or (item.silent_days or 0) >= silent_days
        result.append(item)
    return result


def active_orgs() -> QuerySet[PartyOrg]:
    """Every active branch and group (what the to-do centre and the indicators look at)."""
    return PartyOrg.objects.filter(
        kind__in=(PartyOrg.Kind.BRANCH, PartyOrg.Kind.GROUP), dissolved_on__isnull=True
    )
