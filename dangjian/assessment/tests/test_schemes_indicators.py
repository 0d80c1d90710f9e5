"""The indicators added for the scheme's criteria: values, records behind them, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.core.periods import Period
from dangjian.core.registries import indicators
from dangjian.dues.models import DuesBill, month_index
from dangjian.orglife.tests.helpers import hold, types
from dangjian.transfers.models import Transfer

pytestmark = pytest.mark.django_db
Q2 = Period.quarter(2026, 2)


def _run(key, mine, period=Q2):
    ids = [mine.branch_a.pk, mine.branch_b.pk]
    return indicators()[key].func(ids, period)


@time_machine.travel(dt.datetime(2026, 7, 10, 12, tzinfo=dt.UTC))
def test_theme_day_and_assembly_rates_per_meeting_type(mine):
    types()
    may = hold(mine, "theme_day", dt.date(2026, 5, 10))
    hold(mine, "theme_day", dt.date(2026, 6, 12), archive=True)
    result = _run("orglife.theme_day_held", mine)
    a, b = result[mine.branch_a.pk], result[mine.branch_b.pk]
    assert a.value == pytest.approx(66.7) and ("orglife.meeting", may.pk) in a.records
    assert "应开 3 次，按时召开 2 次" in a.detail
    assert b.value == 0.0 and b.records == ()
    assembly = _run("orglife.branch_assembly_on_schedule", mine)
    assert assembly[mine.branch_a.pk].value == 0.0  # the quarter's general meeting was missed
    archived = _run("orglife.minutes_archived", mine)[mine.branch_a.pk]
    assert archived.value == 50.0 and len(archived.records) == 2


def test_transfers_backlog_counts_open_transfers_of_either_side(mine):
    common = {"kind": "internal", "person": mine.member_a, "from_org": mine.branch_a}
    open_one = Transfer.objects.create(
        status="awaiting_receipt", to_org=mine.branch_b, valid_until=dt.date(2000, 5, 1), **common
    )
    Transfer.objects.create(status="completed", to_org=mine.branch_b, **common)
    Transfer.objects.create(status="pending_out", to_org=mine.branch_b, **common)

    now = Period.containing(timezone.localdate(), "quarter")
    assert _run("transfers.backlog", mine, now.previous())[mine.branch_a.pk].value == 0.0
    result = _run("transfers.backlog", mine, now)
    a = result[mine.branch_a.pk]
    assert a.value == 2.0 and ("transfers.transfer", open_one.pk) in a.records
    assert "逾期未回执 1 件" in a.detail
    assert result[mine.branch_b.pk].value == 2.0  # the receiving side carries it too


def test_dues_arrears_members(mine):
    def bill(person, month, paid_on=None):
        return DuesBill.objects.create(
            person=person,
            party_org=person.party_org,
            year=2026,
            month=month,
            month_index=month_index(2026, month),
            amount_fen=1000,
            status="paid" if paid_on else "unpaid",
            paid_on=paid_on,
        )

    late = bill(mine.member_a, 4)
    bill(mine.member_a, 5, dt.date(2026, 5, 20))
    bill(mine.member_b, 6, dt.date(2026, 6, 30))
    bill(mine.member_b, 5, dt.date(2026, 7, 3))  # paid only after the quarter
    result = _run("dues.arrears_members", mine)
    assert result[mine.branch_a.pk].value == 1.0
    assert result[mine.branch_a.pk].records == (("dues.duesbill", late.pk),)
    assert result[mine.branch_b.pk].value == 1.0


def test_people_indicators(mine):
    mine.member_b.lost_contact = True
    mine.member_b.save()
    lost = _run("people.lost_contact", mine)
    assert lost[mine.branch_b.pk].value == 1.0 and lost[mine.branch_a.pk].value == 0.0
    assert lost[mine.branch_b.pk].records == (("people.person", mine.member_b.pk),)
    complete = _run("people.profile_complete", mine)
    assert 0.0 <= complete[mine.branch_a.pk].value <= 100.0
    ratio = _run("people.front_line_ratio", mine)
    assert set(ratio) == {mine.branch_a.pk, mine.branch_b.pk}
    assert "一线职工" in ratio[mine.branch_a.pk].detail


def test_development_indicators_without_cases(mine):
    for key in ("development.overdue_cases", "development.league_recommended"):
        result = _run(key, mine)
        assert result[mine.branch_a.pk].value == 0.0 and result[mine.branch_a.pk].records == ()


NEW_KEYS = [
    "orglife.theme_day_held",
    "orglife.group_meeting_on_schedule",
    "orglife.minutes_archived",
    "transfers.backlog",
    "dues.arrears_members",
    "people.lost_contact",
    "people.front_line_ratio",
    "people.profile_complete",
    "development.overdue_cases",
    "development.league_recommended",
]


@pytest.mark.parametrize("key", NEW_KEYS)
def test_query_count_does_not_grow_with_branches(mine, key):
    from dangjian.orglife.tests.test_compliance import _bulk_branches
    from dangjian.orgs.models import PartyOrg

    types()
    func = indicators()[key].func

    def count(ids):
        with CaptureQueriesContext(connection) as ctx:
            result = func(ids, Q2)
        assert set(result) == set(ids)
        return len(ctx.captured_queries)

    few = count([mine.branch_a.pk, mine.branch_b.pk])
    _bulk_branches(mine.committee, 40)
    many = list(PartyOrg.objects.filter(kind="branch").values_list("pk", flat=True))
    assert len(many) > 40
    assert count(many) == few
