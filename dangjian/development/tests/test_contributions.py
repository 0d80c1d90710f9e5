"""Reminders (overdue red, due soon yellow, interval reached info) and the on-time indicator."""

from __future__ import annotations

import datetime as dt

import time_machine

from dangjian.core.periods import Period
from dangjian.core.registries import indicators, reminder_rules
from dangjian.core.scope import SYSTEM
from dangjian.development import services

START = dt.date(2024, 1, 8)


def _items(today):
    return list(reminder_rules()["development.steps_due"](today))


def test_reminders_follow_the_deadline(mine):
    case = services.case_open(actor=SYSTEM, person_id=mine.masses_a.pk, applied_on=START)
    assert _items(dt.date(2024, 1, 8)) == []  # deadline 2024-02-08 is more than 14 days away
    soon = _items(dt.date(2024, 1, 25))
    assert [(i.level, i.org_id, i.person_id) for i in soon] == [
        ("yellow", mine.branch_a.pk, mine.masses_a.pk)
    ]
    assert _items(dt.date(2024, 2, 8))[0].level == "yellow"  # on the day: still due
    late = _items(dt.date(2024, 2, 9))
    assert late[0].level == "red" and "超期" in late[0].title
    assert late[0].key == f"development.step_due:{case.pk}:2"
    with time_machine.travel(dt.datetime(2024, 3, 1, 9)):
        services.step_complete(
            actor=SYSTEM, case_id=case.pk, step=2, completed_on=dt.date(2024, 2, 1)
        )
    assert _items(dt.date(2024, 2, 9)) == []  # done: nothing due with a deadline


def test_indicator_share_on_time(mine):
    case = services.case_open(actor=SYSTEM, person_id=mine.masses_a.pk, applied_on=START)
    with time_machine.travel(dt.datetime(2024, 6, 1, 9)):
        services.step_complete(
            actor=SYSTEM,
            case_id=case.pk,
            step=2,
            completed_on=dt.date(2024, 3, 1),
            late_reason="迟",
        )
    func = indicators()["development.steps_on_time"].func
    result = func([mine.branch_a.pk, mine.branch_b.pk], Period.quarter(2024, 1))
    assert result[mine.branch_a.pk].value == 0.0
    assert result[mine.branch_a.pk].records == (
        ("development.steprecord", case.steps.get(step=2).pk),
    )
    assert result[mine.branch_b.pk].value == 1.0 and result[mine.branch_b.pk].records == ()
