"""Dues services: bill generation (idempotent), payments (make-up limit, proxy, quarterly with
approval, voluntary to the Centre), wage changes from their month, paid-up month, roll-ups,
scope re-checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.audit.models import AuditEvent
from dangjian.core.scope import SYSTEM
from dangjian.dues import selectors, services
from dangjian.dues.models import DuesBill, DuesPayment, month_index
from dangjian.dues.tests.helpers import assess

pytestmark = pytest.mark.django_db


def gen(year: int, months: range, actor=SYSTEM, org=None) -> list[dict[str, int]]:
    return [services.bills_generate(actor=actor, year=year, month=m, org=org) for m in months]


def test_generation_is_idempotent_and_counts_members_without_assessment(mine):
    assess(mine.member_a, 2026, 4000)
    first = services.bills_generate(actor=SYSTEM, year=2026, month=3)
    assert first == {"created": 1, "existing": 0, "missing": 1}  # member_b not assessed
    assert services.bills_generate(actor=SYSTEM, year=2026, month=3) == {
        "created": 0,
        "existing": 1,
        "missing": 1,
    }
    assert DuesBill.objects.count() == 1
    bill = DuesBill.objects.get()
    assert (bill.amount_fen, bill.party_org_id, bill.month_index) == (
        4000,
        mine.branch_a.pk,
        month_index(2026, 3),
    )


def test_masses_get_no_bill_and_cannot_be_assessed(mine):
    with pytest.raises(ValidationError):
        assess(mine.masses_a, 2026)


def test_secretary_generates_only_for_own_branch(mine):
    assess(mine.member_a, 2026)
    assess(mine.member_b, 2026)
    result = services.bills_generate(actor=mine.users["secretary_a"], year=2026, month=1)
    assert result["created"] == 1
    assert list(DuesBill.objects.values_list("person_id", flat=True)) == [mine.member_a.pk]
    with pytest.raises(PermissionDenied):
        services.bills_generate(actor=mine.users["member_b"], year=2026, month=1)


def pay(mine, months, paid_on, kind="makeup", person=None, **kw):
    return services.payment_record(
        actor=kw.pop("actor", SYSTEM),
        person_id=(person or mine.member_a).pk,
        months=[month_index(*m) for m in months],
        paid_on=paid_on,
        kind=kind,
        today=dt.date(2026, 12, 31),
        **kw,
    )


def test_makeup_exactly_six_months_back_accepted_seven_refused(mine):
    assess(mine.member_a, 2025, 4000)
    assess(mine.member_a, 2026, 4000)
    gen(2025, range(12, 13))
    gen(2026, range(1, 8))
    with pytest.raises(ValidationError) as exc:
        pay(mine, [(2025, 12)], dt.date(2026, 7, 10))  # 7 months back
    assert "补交最多 6 个月" in str(exc.value)
    assert "2025年12月" in str(exc.value)
    payment = pay(mine, [(2026, 1)], dt.date(2026, 7, 10))  # exactly 6 months back
    assert payment.kind == "makeup"
    assert DuesBill.objects.get(month_index=month_index(2026, 1)).status == "paid"
    assert DuesBill.objects.get(month_index=month_index(2025, 12)).status == "unpaid"


def test_makeup_limit_is_a_rule(mine):
    from dangjian.core.models import Rule

    Rule.objects.filter(key="dues.makeup_max_months").update(value=7)
    assess(mine.member_a, 2025, 4000)
    gen(2025, range(12, 13))
    assert pay(mine, [(2025, 12)], dt.date(2026, 7, 10)).bills_fen == 4000


def test_proxy_payment_is_recorded_with_the_payer(mine):
    assess(mine.member_a, 2026, 4000)
    gen(2026, range(5, 6))
    with pytest.raises(ValidationError) as exc:
        pay(mine, [(2026, 5)], dt.date(2026, 5, 20), kind="monthly", is_proxy=True)
    assert "代交人" in str(exc.value)
    payment = pay(
        mine, [(2026, 5)], dt.date(2026, 5, 20), kind="monthly", is_proxy=True, payer_name="张妻"
    )
    payment.refresh_from_db()
    assert payment.is_proxy and payment.payer_name == "张妻"
    assert payment.amount_fen == 4000
    event = AuditEvent.objects.filter(object_type="dues.duespayment").latest("id")
    assert event.changes["proxy"] == "张妻"


def test_monthly_payment_only_for_its_month_and_no_double_payment(mine):
    assess(mine.member_a, 2026, 4000)
    gen(2026, range(4, 6))
    with pytest.raises(ValidationError):
        pay(mine, [(2026, 4)], dt.date(2026, 5, 2), kind="monthly")
    pay(mine, [(2026, 5)], dt.date(2026, 5, 2), kind="monthly")
    with pytest.raises(ValidationError) as exc:
        pay(mine, [(2026, 4), (2026, 5)], dt.date(2026, 5, 3), kind="makeup")
    assert "已交纳" in str(exc.value)


def test_quarterly_needs_approval_and_generates_future_bills(mine):
    assess(mine.member_a, 2026, 4000)
    with pytest.raises(ValidationError) as exc:
        pay(mine, [(2026, 4), (2026, 5), (2026, 6)], dt.date(2026, 4, 8), kind="quarterly")
    assert "批准" in str(exc.value)
    with pytest.raises(ValidationError):  # July is another quarter
        pay(mine, [(2026, 6), (2026, 7)], dt.date(2026, 4, 8), kind="quarterly", approval_note="x")
    payment = pay(
        mine,
        [(2026, 4), (2026, 5), (2026, 6)],
        dt.date(2026, 4, 8),
        kind="quarterly",
        approval_note="支委会2026-03-30批准",
    )
    assert payment.bills_fen == 12000
    assert DuesBill.objects.filter(status="paid").count() == 3


def test_voluntary_payment_at_threshold_goes_to_centre(mine):
    assess(mine.member_a, 2026, 4000)
    gen(2026, range(3, 4))
    below = pay(mine, [(2026, 3)], dt.date(2026, 3, 5), kind="monthly", voluntary_fen=99999)
    assert not below.to_centre and below.amount_fen == 4000 + 99999
    big = pay(mine, [], dt.date(2026, 3, 6), kind="monthly", voluntary_fen=100000)
    assert big.to_centre


def test_future_payment_date_refused(mine):
    assess(mine.member_a, 2026)
    gen(2026, range(1, 2))
    with pytest.raises(ValidationError):
        services.payment_record(
            actor=SYSTEM,
            person_id=mine.member_a.pk,
            months=[month_index(2026, 1)],
            paid_on=dt.date(2026, 1, 9),
            kind="monthly",
            today=dt.date(2026, 1, 8),
        )


def test_secretary_cannot_record_payment_for_other_branch(mine):
    assess(mine.member_b, 2026)
    gen(2026, range(1, 2))
    with pytest.raises(PermissionDenied):
        pay(
            mine,
            [(2026, 1)],
            dt.date(2026, 1, 9),
            kind="monthly",
            person=mine.member_b,
            actor=mine.users["secretary_a"],
        )
    assert DuesPayment.objects.count() == 0


def test_wage_change_applies_from_its_month_paid_bills_stay(mine):
    assessment = assess(mine.member_a, 2026, 4000)  # 40.00 a month
    gen(2026, range(1, 5))
    pay(mine, [(2026, 1), (2026, 2)], dt.date(2026, 2, 5))
    services.change_record(
        actor=SYSTEM,
        assessment_id=assessment.pk,
        effective_month=3,
        components={"post_wage": 600000},
        reason="岗位调整",
    )
    gen(2026, range(5, 7))
    amounts = dict(DuesBill.objects.order_by("month").values_list("month", "amount_fen"))
    assert amounts == {1: 4000, 2: 4000, 3: 9000, 4: 9000, 5: 9000, 6: 9000}
    assessment.refresh_from_db()
    assert assessment.monthly_fen == 4000  # the 年初核定 amount itself is kept


def test_paid_up_month(mine):
    assess(mine.member_a, 2026, 4000)
    gen(2026, range(1, 6))
    assert selectors.paid_up_months([mine.member_a.pk, mine.member_b.pk]) == {
        mine.member_a.pk: None,
        mine.member_b.pk: None,
    }
    pay(mine, [(2026, 1), (2026, 2)], dt.date(2026, 2, 5))
    assert selectors.paid_up_months([mine.member_a.pk])[mine.member_a.pk] == month_index(2026, 2)
    pay(mine, [(2026, 4)], dt.date(2026, 4, 5), kind="monthly")  # March still open
    assert selectors.paid_up_months([mine.member_a.pk])[mine.member_a.pk] == month_index(2026, 2)


def test_arrears_list(mine):
    assess(mine.member_a, 2026, 4000)
    assess(mine.member_b, 2026, 6000)
    gen(2026, range(1, 5))
    pay(mine, [(2026, 1), (2026, 2), (2026, 3)], dt.date(2026, 3, 5))
    rows = list(selectors.arrears_list(user=SYSTEM, today=dt.date(2026, 4, 20)))
    assert [(r["person_id"], r["months"], r["amount_fen"]) for r in rows] == [
        (mine.member_b.pk, 3, 27000)
    ]
    rows = list(selectors.arrears_list(user=SYSTEM, today=dt.date(2026, 5, 2)))
    assert {r["person_id"]: r["months"] for r in rows} == {
        mine.member_b.pk: 4,
        mine.member_a.pk: 1,
    }
    mine_rows = selectors.arrears_list(user=mine.users["secretary_a"], today=dt.date(2026, 5, 2))
    assert [r["person_id"] for r in mine_rows] == [mine.member_a.pk]


def test_rollup_numbers_equal_the_sum_of_the_parts(mine):
    assess(mine.member_a, 2026, 4000)
    assess(mine.member_b, 2026, 12000)
    gen(2026, range(1, 4))
    pay(mine, [(2026, 1)], dt.date(2026, 1, 5), kind="monthly")
    pay(mine, [(2026, 1), (2026, 2)], dt.date(2026, 2, 5), person=mine.member_b)
    result = selectors.rollup(user=SYSTEM, parent=mine.committee, year=2026)
    rows = {r.org.pk: r for r in result.rows if r.org}
    a, b = rows[mine.branch_a.pk], rows[mine.branch_b.pk]
    assert (a.due_fen, a.paid_fen, a.unpaid_fen, a.persons, a.persons_unpaid) == (
        12000,
        4000,
        8000,
        1,
        1,
    )
    assert (b.due_fen, b.paid_fen, b.unpaid_fen) == (3 * 24000, 2 * 24000, 24000)
    total = result.total
    assert total.due_fen == sum(r.due_fen for r in result.rows)
    assert total.paid_fen == sum(r.paid_fen for r in result.rows)
    assert total.unpaid_fen == sum(r.unpaid_fen for r in result.rows)
    assert total.persons == sum(r.persons for r in result.rows)
    assert total.due_fen == sum(DuesBill.objects.values_list("amount_fen", flat=True))
    # the month filter and the secretary's scope
    march = selectors.rollup(user=SYSTEM, parent=mine.committee, year=2026, month=3).total
    assert (march.due_fen, march.paid_fen, march.persons_unpaid) == (28000, 0, 2)
    mine_a = selectors.rollup(user=mine.users["secretary_a"], parent=mine.branch_a, year=2026)
    assert mine_a.total.due_fen == 12000


def test_disclosure_collected_used_balance(mine):
    from dangjian.dues.models import DuesExpense

    assess(mine.member_a, 2025, 4000)
    assess(mine.member_a, 2026, 4000)
    gen(2025, range(12, 13))
    gen(2026, range(1, 3))
    pay(mine, [(2025, 12)], dt.date(2025, 12, 5), kind="monthly")
    pay(mine, [(2026, 1), (2026, 2)], dt.date(2026, 2, 5), voluntary_fen=100000)
    services.expense_record(
        actor=SYSTEM,
        org_id=mine.branch_a.pk,
        spent_on=dt.date(2026, 3, 1),
        kind=DuesExpense.Kind.REMIT,
        amount_fen=5000,
        purpose="上缴党委",
    )
    report = selectors.disclosure(user=SYSTEM, org=mine.branch_a, year=2026)
    assert report.opening_fen == 4000
    assert report.collected_fen == 8000 + 100000
    assert report.to_centre_fen == 100000
    assert report.used_fen == 5000
    assert report.closing_fen == 4000 + 108000 - 5000
    assert sum(m[1] for m in report.months) == report.collected_fen
