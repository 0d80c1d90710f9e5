"""Built-in reminder rules: organisation term expiry (from the org rule checks) and lost-contact
members, at their boundaries; both reach the engine through autodiscovery."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dangjian.core.registries import reminder_rules
from dangjian.orgs.models import PartyOrg
from dangjian.orgs.reminders import term_due
from dangjian.people.models import Person
from dangjian.people.reminders import lost_contact_due

pytestmark = pytest.mark.django_db


def test_rules_are_registered_by_autodiscovery():
    assert {"orgs.term", "people.lost_contact", "transfers.lapse", "transfers.steps"} <= set(
        reminder_rules()
    )


ENDS = dt.date(2026, 9, 30)


@pytest.mark.parametrize(
    ("today", "level"),
    [
        (ENDS - dt.timedelta(days=61), None),
        (ENDS - dt.timedelta(days=60), "yellow"),  # org.term_reminder_days = 60
        (ENDS, "yellow"),
        (ENDS + dt.timedelta(days=1), "red"),
    ],
)
def test_term_expiry(mine, today, level):
    PartyOrg.objects.filter(pk=mine.branch_a.pk).update(term_ends_on=ENDS)
    PartyOrg.objects.filter(pk=mine.branch_b.pk).update(term_ends_on=ENDS, dissolved_on=ENDS)
    with time_machine.travel(dt.datetime(today.year, today.month, today.day, 9), tick=False):
        found = {i.org_id: i for i in term_due(today)}
    assert mine.branch_b.pk not in found  # dissolved organisations are not reminded
    if level is None:
        assert mine.branch_a.pk not in found
    else:
        item = found[mine.branch_a.pk]
        assert (item.level, item.due_on) == (level, ENDS)
        assert item.key == f"orgs.term:{mine.branch_a.pk}:2026-09-30"


@pytest.mark.parametrize(
    ("today", "level"),
    [(dt.date(2026, 7, 9), "yellow"), (dt.date(2026, 7, 10), "red")],
)
def test_lost_contact(mine, today, level):
    Person.objects.filter(pk=mine.member_a.pk).update(
        lost_contact=True, lost_contact_on=dt.date(2026, 1, 10)
    )
    Person.objects.filter(pk=mine.masses_a.pk).update(
        lost_contact=True, lost_contact_on=dt.date(2026, 1, 10)
    )
    (item,) = list(lost_contact_due(today))  # non-members are not Party lost-contact cases
    assert (item.level, item.org_id, item.due_on) == (
        level,
        mine.branch_a.pk,
        dt.date(2026, 7, 10),
    )
