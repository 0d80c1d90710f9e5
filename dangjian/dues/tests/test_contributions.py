"""Dues contributions: demo year, member activity (paid-up month), arrears reminders,
the paid_on_time indicator, Excel export contents."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest
import time_machine
from openpyxl import load_workbook

from dangjian.core.models import Job
from dangjian.core.periods import Period
from dangjian.core.registries import indicators, member_last_activity, reminder_rules
from dangjian.core.scope import SYSTEM
from dangjian.dues import demo, selectors, services
from dangjian.dues.models import DuesBill, DuesPayment, month_index
from dangjian.dues.tests.helpers import assess

pytestmark = pytest.mark.django_db


def _pay(mine, person, months, paid_on, kind="makeup"):
    return services.payment_record(
        actor=SYSTEM,
        person_id=person.pk,
        months=[month_index(*m) for m in months],
        paid_on=paid_on,
        kind=kind,
        today=dt.date(2026, 12, 31),
    )


def _year(mine):
    assess(mine.member_a, 2026, 4000)
    assess(mine.member_b, 2026, 4000)
    for m in range(1, 5):
        services.bills_generate(actor=SYSTEM, year=2026, month=m)
    _pay(mine, mine.member_a, [(2026, 1)], dt.date(2026, 1, 20), kind="monthly")
    _pay(mine, mine.member_a, [(2026, 2), (2026, 3)], dt.date(2026, 3, 10))


def test_member_activity_is_end_of_paid_up_month(mine):
    _year(mine)
    result = member_last_activity("dues", [mine.member_a.pk, mine.member_b.pk])
    assert result == {mine.member_a.pk: dt.date(2026, 3, 31)}


def test_arrears_reminder_per_branch_and_stable_key(mine):
    _year(mine)
    rule_func = reminder_rules()["dues.arrears"]
    items = list(rule_func(dt.date(2026, 5, 3)))
    # branch A: April overdue (1 month, yellow); branch B: January–April (4 months, red)
    assert [(i.org_id, i.level) for i in items] == [
        (mine.branch_a.pk, "yellow"),
        (mine.branch_b.pk, "red"),
    ]
    assert items[1].key == f"dues.arrears:{mine.branch_b.pk}:2026-05"
    assert [i.key for i in rule_func(dt.date(2026, 5, 20))] == [i.key for i in items]
    items = list(rule_func(dt.date(2026, 4, 3)))
    assert {i.org_id for i in items} == {mine.branch_b.pk}  # branch A paid Jan–Mar
    assert items[0].level == "red"


def test_paid_on_time_indicator(mine, django_assert_max_num_queries):
    _year(mine)
    func = indicators()["dues.paid_on_time"].func
    with django_assert_max_num_queries(2):
        values = func([mine.branch_a.pk, mine.branch_b.pk], Period.quarter(2026, 1))
    a, b = values[mine.branch_a.pk], values[mine.branch_b.pk]
    # branch A: Jan paid in Jan, Feb paid in March (late), Mar paid in March → 2 of 3
    assert a.value == round(2 * 100 / 3, 1)
    assert len(a.records) == 3 and all(r[0] == "dues.duesbill" for r in a.records)
    assert b.value == 0.0 and len(b.records) == 3


def test_export_contents(mine, django_capture_on_commit_callbacks, settings, tmp_path):
    from dangjian.core.exports import export_start

    _year(mine)
    user = mine.users["secretary_a"]
    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(user=user, key="dues.bills", params={"year": "2026"})
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded", job.message
    from pathlib import Path

    sheet = load_workbook(Path(settings.PRIVATE_DIR) / job.output_file).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("月份", "工号", "姓名", "党组织", "应交(元)")
    names = {r[2] for r in rows[1:]}
    assert names == {mine.member_a.name}  # never branch B's member
    assert len(rows) == 1 + 4
    assert {r[4] for r in rows[1:]} == {"40.00"}
    with django_capture_on_commit_callbacks(execute=True):
        job = export_start(user=user, key="dues.arrears", params={})
    job = Job.objects.get(pk=job.pk)
    assert job.status == "succeeded", job.message


def test_demo_year(mine):
    start = time.monotonic()
    today = dt.date(2026, 11, 15)
    demo.load(today=today, rng=random.Random(7))
    assert time.monotonic() - start < 10
    members = 2  # member_a and member_b
    assert DuesBill.objects.count() == members * 12
    assert DuesPayment.objects.exists()
    for bill in DuesBill.objects.filter(status="paid").select_related("payment"):
        assert bill.payment is not None and bill.payment.person_id == bill.person_id
    total = selectors.rollup(user=SYSTEM, parent=mine.committee, year=2026).total
    assert total.due_fen == sum(
        DuesBill.objects.filter(year=2026).values_list("amount_fen", flat=True)
    )


def test_demo_mine_has_arrears():
    from dangjian.demo.mine import load_demo_mine

    with time_machine.travel(dt.datetime(2026, 11, 15, 10, 0), tick=False):
        load_demo_mine()
        arrears = list(selectors.arrears_list(user=SYSTEM, today=dt.date(2026, 11, 15)))
    assert DuesBill.objects.count() > 400 * 12
    assert 0 < len(arrears) < DuesBill.objects.values("person").distinct().count() / 3
