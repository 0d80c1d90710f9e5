"""Lapse watch at the 3/5/6-month boundaries, with fake activity providers registered in the
registry dict (not the database)."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core import registries
from dangjian.core.models import Rule
from dangjian.people.models import Person
from dangjian.transfers.reminders import lapse_due, months_since

pytestmark = pytest.mark.django_db

SINCE = dt.date(2026, 1, 31)  # end of the paid-up month / last meeting attended


@pytest.fixture
def activity(monkeypatch):
    table: dict = {}
    monkeypatch.setattr(registries, "_activity", table)
    return table


def items_for(person, today):
    return {i.key: i for i in lapse_due(today) if i.key.endswith(f":{person.pk}")}


@pytest.mark.parametrize(
    ("today", "months"),
    [
        (dt.date(2026, 4, 29), 2),
        (dt.date(2026, 4, 30), 3),  # 31 Jan + 3 months = 30 Apr (clamped)
        (dt.date(2026, 6, 29), 4),
        (dt.date(2026, 6, 30), 5),
        (dt.date(2026, 7, 30), 5),
        (dt.date(2026, 7, 31), 6),
    ],
)
def test_months_since(today, months):
    assert months_since(SINCE, today) == months


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2026, 4, 29), None),
        (dt.date(2026, 4, 30), ("yellow", "党员失管预警", True)),
        (dt.date(2026, 6, 29), ("yellow", "党员失管预警", True)),
        (dt.date(2026, 6, 30), ("red", "党员失管预警", True)),
        (dt.date(2026, 7, 30), ("red", "党员失管预警", True)),
        (dt.date(2026, 7, 31), ("red", "自行脱党审查", False)),
    ],
)
@pytest.mark.parametrize("kind", ["orglife", "dues"])
def test_boundaries(mine, activity, kind, today, expected):
    activity[kind] = lambda ids: {mine.member_a.pk: SINCE} if mine.member_a.pk in ids else {}
    found = items_for(mine.member_a, today)
    key = f"transfers.lapse:{kind}:{mine.member_a.pk}"
    if expected is None:
        assert key not in found
        return
    level, category, addressed_to_member = expected
    item = found[key]
    assert (item.level, item.category) == (level, category)
    assert item.org_id == mine.branch_a.pk
    assert (item.person_id == mine.member_a.pk) is addressed_to_member


def test_missing_provider_is_skipped(mine, activity):
    activity["dues"] = lambda ids: {}
    keys = {i.key for i in lapse_due(dt.date(2040, 1, 1))}
    assert not any(":orglife:" in k for k in keys)
    assert any(k.endswith(f"dues:{mine.member_a.pk}") for k in keys)
    # the non-member (masses) is never watched
    assert not any(k.endswith(f":{mine.masses_a.pk}") for k in keys)


def test_no_record_counts_from_entry_into_the_system(mine, activity):
    activity["orglife"] = lambda ids: {}
    created = Person.objects.get(pk=mine.member_a.pk).created_at.date()
    assert not items_for(mine.member_a, created + dt.timedelta(days=60))
    assert items_for(mine.member_a, created + dt.timedelta(days=200))


def test_thresholds_are_rules(mine, activity):
    activity["dues"] = lambda ids: {mine.member_a.pk: SINCE}
    Rule.objects.filter(key="lapse.warn_months").update(value=4)
    assert not items_for(mine.member_a, dt.date(2026, 4, 30))
    assert items_for(mine.member_a, dt.date(2026, 5, 31))


def test_lapse_through_the_engine_notifies_branch_then_committee(mine, activity):
    from dangjian.reminders.models import Notification
    from dangjian.reminders.services import reminders_refresh

    mine.member_b.user.is_active = True
    activity["dues"] = lambda ids: {pk: SINCE for pk in ids}
    reminders_refresh(dt.date(2026, 4, 30))
    key = f"transfers.lapse:dues:{mine.member_a.pk}"
    users = set(
        Notification.objects.filter(reminder__key=key).values_list("user__username", flat=True)
    )
    assert users == {"secretary_a", "worker_a"}
    reminders_refresh(dt.date(2026, 6, 30))
    users = set(
        Notification.objects.filter(reminder__key=key).values_list("user__username", flat=True)
    )
    assert users == {"secretary_a", "worker_a", "shuji", "zuzhi"}
    # member B (own account) is told at 3 months, not addressed by the 6-month review item
    key_b = f"transfers.lapse:dues:{mine.member_b.pk}"
    assert Notification.objects.filter(reminder__key=key_b, user__username="member_b").exists()
    reminders_refresh(dt.date(2026, 7, 31))
    from dangjian.reminders.models import Reminder

    review = Reminder.objects.get(key=key_b)
    assert review.category == "自行脱党审查" and review.person_id is None
