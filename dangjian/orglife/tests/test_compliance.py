"""Compliance engine: green / yellow / red at the day boundaries, quorum, late make-up,
silent branches, set-based query counts (15 vs 5,000 branches), indicators and reminders."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core.periods import Period
from dangjian.core.registries import indicators, member_last_activity, reminder_rules
from dangjian.demo.bulk import next_id, tree_path
from dangjian.orglife.models import Meeting
from dangjian.orglife.selectors.compliance import compliance
from dangjian.orglife.tests.helpers import add_members, at, hold, types
from dangjian.orgs.models import PartyOrg

pytestmark = pytest.mark.django_db


def _status(mine, today, code="theme_day", org=None, **kw):
    org = org or mine.branch_a
    (item,) = compliance(PartyOrg.objects.filter(pk=org.pk), today=today, **kw)
    return item, [
        (s.period.label, s.status, s.level) for s in item.slots if s.meeting_type.code == code
    ]


def test_due_soon_turns_yellow_seven_days_before_the_period_ends(mine):
    types()
    _, slots = _status(mine, dt.date(2026, 5, 23))  # 8 days before 31 May
    assert slots[-1] == ("2026年5月", "pending", "")
    _, slots = _status(mine, dt.date(2026, 5, 24))  # 7 days before
    assert slots[-1] == ("2026年5月", "due_soon", "yellow")
    _, slots = _status(mine, dt.date(2026, 5, 31))
    assert slots[-1][1] == "due_soon"


def test_overdue_turns_red_the_day_after_the_period_ends(mine):
    types()
    _, slots = _status(mine, dt.date(2026, 6, 1))
    assert slots == [("2026年5月", "missing", "red"), ("2026年6月", "pending", "")]
    item, _ = _status(mine, dt.date(2026, 6, 1))
    assert item.level == "red"


def test_held_in_the_period_is_green_and_a_late_make_up_clears_red(mine):
    types()
    hold(mine, "theme_day", dt.date(2026, 4, 10))
    _, slots = _status(mine, dt.date(2026, 5, 2))
    assert slots[0] == ("2026年4月", "held", "green")
    # May missed: red on 1 June; a make-up in June for May turns it green (late)
    _, slots = _status(mine, dt.date(2026, 6, 1))
    assert slots[0][1] == "missing"
    hold(mine, "theme_day", dt.date(2026, 6, 3), period_date=dt.date(2026, 5, 1))
    _, slots = _status(mine, dt.date(2026, 6, 4))
    assert slots[0] == ("2026年5月", "late", "green")


def test_a_meeting_below_quorum_does_not_count(mine):
    types()
    members = add_members(mine, 3)
    ids = [mine.member_a.pk, *[p.pk for p in members]]
    hold(mine, "branch_general", dt.date(2026, 2, 10), invitees=ids, present=ids[:2])
    _, slots = _status(mine, dt.date(2026, 4, 1), code="branch_general")
    assert slots[0] == ("2026年第1季度", "missing", "red")
    hold(mine, "branch_general", dt.date(2026, 3, 10), invitees=ids, present=ids[:3])
    _, slots = _status(mine, dt.date(2026, 4, 1), code="branch_general")
    assert slots[0] == ("2026年第1季度", "held", "green")


def test_a_planned_meeting_does_not_count_until_minutes_are_recorded(mine):
    from dangjian.orglife.tests.helpers import schedule

    types()
    schedule(mine, "theme_day", dt.date(2026, 5, 10))
    _, slots = _status(mine, dt.date(2026, 6, 1))
    assert slots[0][1] == "missing"


def test_silent_branch_after_thirty_days_without_activity(mine):
    types()
    hold(mine, "theme_day", dt.date(2026, 5, 1))
    item, _ = _status(mine, dt.date(2026, 5, 30))  # 29 days
    assert not item.silent and item.silent_days == 29
    item, _ = _status(mine, dt.date(2026, 5, 31))  # 30 days
    assert item.silent and item.level in ("yellow", "red")
    # a group's meeting is activity of its branch
    hold(mine, "group_meeting", dt.date(2026, 5, 25), org=mine.group_a1)
    item, _ = _status(mine, dt.date(2026, 5, 31))
    assert not item.silent and item.last_activity == dt.date(2026, 5, 25)
    (never,) = compliance(PartyOrg.objects.filter(pk=mine.branch_b.pk), today=dt.date(2026, 5, 31))
    assert never.silent and never.last_activity is None


def test_rules_are_read_from_the_tables(mine):
    from dangjian.core.models import Rule

    t = types()
    Rule.objects.update_or_create(
        key="orglife.due_soon_days",
        defaults={"category": "orglife", "name": "x", "value": 10},
    )
    _, slots = _status(mine, dt.date(2026, 5, 21))
    assert slots[-1][1] == "due_soon"
    t["theme_day"].frequency = "quarter"
    t["theme_day"].save()
    _, slots = _status(mine, dt.date(2026, 5, 21))
    assert slots[-1][0] == "2026年第2季度"


def test_board_period_at_a_chosen_month(mine):
    types()
    hold(mine, "party_lecture", dt.date(2026, 2, 10))
    _, slots = _status(mine, dt.date(2026, 6, 1), code="party_lecture", at=dt.date(2026, 3, 1))
    assert slots == [("2026年第1季度", "held", "green")]


def _bulk_branches(committee: PartyOrg, count: int) -> None:
    start = next_id(PartyOrg)
    rows = []
    for offset in range(count):
        pk = start + offset
        path, depth = tree_path(committee.path, pk)
        rows.append(
            PartyOrg(
                pk=pk, name=f"支部{pk}", kind="branch", parent=committee, path=path, depth=depth
            )
        )
    PartyOrg.objects.bulk_create(rows, batch_size=1000)
    mt = types()["theme_day"]
    Meeting.objects.bulk_create(
        [
            Meeting(
                org_id=row.pk,
                meeting_type=mt,
                title="主题党日",
                planned_at=at(dt.date(2026, 5, 10)),
                held_on=dt.date(2026, 5, 10),
                period_start=dt.date(2026, 5, 1),
                period_end=dt.date(2026, 5, 31),
                state="archived",
            )
            for row in rows[::2]
        ],
        batch_size=1000,
    )


def _queries(today: dt.date) -> tuple[int, int]:
    branches = PartyOrg.objects.filter(kind="branch")
    with CaptureQueriesContext(connection) as ctx:
        items = compliance(branches, today=today)
    return len(ctx.captured_queries), len(items)


def test_query_count_is_the_same_for_15_and_5000_branches(mine):
    types()
    _bulk_branches(mine.committee, 13)
    small, n_small = _queries(dt.date(2026, 6, 2))
    assert n_small == 15
    _bulk_branches(mine.committee, 4985)
    large, n_large = _queries(dt.date(2026, 6, 2))
    assert n_large == 5000
    assert small == large <= 6


def test_indicators_with_the_records_behind_them(mine):
    types()
    members = add_members(mine, 3)
    ids = [mine.member_a.pk, *[p.pk for p in members]]
    ok = hold(mine, "branch_general", dt.date(2026, 2, 10), invitees=ids, present=ids[:3])
    low = hold(mine, "branch_general", dt.date(2026, 3, 10), invitees=ids, present=ids[:2])
    theme = hold(mine, "theme_day", dt.date(2026, 1, 10), invitees=ids, present=ids)
    q1 = Period.quarter(2026, 1)
    found = indicators()
    branches = [mine.branch_a.pk, mine.branch_b.pk]
    with time_machine.travel(dt.datetime(2026, 4, 2, 3, tzinfo=dt.UTC), tick=False):
        quorum = found["orglife.quorum_rate"].func(branches, q1)
        attendance = found["orglife.attendance_rate"].func(branches, q1)
        schedule = found["orglife.meetings_on_schedule"].func(branches, q1)
        silent = found["orglife.silent_days"].func(branches, q1)
    assert quorum[mine.branch_a.pk].value == 50.0
    assert set(quorum[mine.branch_a.pk].records) == {
        ("orglife.meeting", ok.pk),
        ("orglife.meeting", low.pk),
    }
    assert attendance[mine.branch_a.pk].value == round(9 * 100 / 12, 1)
    # Q1: general (held, quorate once), lecture (missing), 3 theme days (Jan only) → 2 of 5
    assert schedule[mine.branch_a.pk].value == 40.0
    assert ("orglife.meeting", theme.pk) in schedule[mine.branch_a.pk].records
    assert silent[mine.branch_a.pk].value == (dt.date(2026, 3, 31) - dt.date(2026, 3, 10)).days
    assert schedule[mine.branch_b.pk].value == 0.0
    assert silent[mine.branch_b.pk].detail == "从未开展组织生活"


def test_reminders_are_stable_and_cover_due_overdue_and_silent(mine):
    types()
    rule = reminder_rules()["orglife.meetings"]
    items = list(rule(dt.date(2026, 6, 1)))
    keys = [i.key for i in items]
    assert len(keys) == len(set(keys))
    assert keys == [i.key for i in rule(dt.date(2026, 6, 1))]
    red = [i for i in items if i.level == "red" and i.org_id == mine.branch_a.pk]
    assert any("theme_day" in i.key for i in red)
    assert any(i.key.startswith("orglife.silent:") and i.org_id == mine.branch_b.pk for i in items)
    hold(mine, "theme_day", dt.date(2026, 6, 1), period_date=dt.date(2026, 5, 1))
    after = {i.key for i in rule(dt.date(2026, 6, 2))}
    assert not any(
        k.startswith(f"orglife.meeting_overdue:{mine.branch_a.pk}:theme_day:month:2026-05")
        for k in after
    )


def test_member_activity_is_the_last_meeting_attended(mine):
    types()
    hold(mine, "theme_day", dt.date(2026, 3, 10))
    hold(mine, "theme_day", dt.date(2026, 4, 10), present=[])
    last = member_last_activity("orglife", [mine.member_a.pk, mine.member_b.pk])
    assert last == {mine.member_a.pk: dt.date(2026, 3, 10)}
