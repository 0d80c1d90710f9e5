"""Demo mine: a year of dues — assessments for last and this year, twelve months of bills,
payments mostly on time (a few proxy, a few quarterly, some make-up), and some arrears so the
arrears list and reminders show something. Bulk inserts (runs in well under a second)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from dangjian.dues.models import (
    DuesAssessment,
    DuesBill,
    DuesExpense,
    DuesPayment,
    MemberCategory,
    month_index,
    month_of,
)
from dangjian.dues.rules import brackets, compute_amount
from dangjian.dues.services import paying_members
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import Person


def load(*, today: dt.date, rng: random.Random | Any) -> None:
    categories = {c.code: c for c in MemberCategory.objects.all()}
    wage_table = brackets("wage")
    members = list(paying_members(Person.objects.all()).values_list("pk", "party_org_id"))
    if not members:
        return
    current = month_index(today.year, today.month)
    months = list(range(current - 11, current + 1))
    years = sorted({month_of(m)[0] for m in months})
    assessments: list[DuesAssessment] = []
    amount: dict[tuple[int, int], int] = {}
    for pid, org_id in members:
        wage = rng.randrange(2600, 12500) * 100  # after-tax monthly wage in fen
        for year in years:
            components = {"post_wage": wage}
            result = compute_amount(categories["wage"], components=components, table=wage_table)
            assessments.append(
                DuesAssessment(
                    person_id=pid,
                    party_org_id=org_id,
                    year=year,
                    category=categories["wage"],
                    components=components,
                    base_fen=result.base_fen,
                    rate=Decimal(result.rate) if result.rate is not None else None,
                    monthly_fen=result.monthly_fen,
                )
            )
            amount[(pid, year)] = result.monthly_fen
    DuesAssessment.objects.bulk_create(assessments, batch_size=2000)

    bills: list[DuesBill] = []
    plan: list[tuple[int, int, list[int], str, dt.date, bool]] = []
    for pid, org_id in members:
        behind = 0
        roll = rng.random()
        if roll < 0.06:
            behind = rng.randint(2, 5)  # a few members several months behind
        elif roll < 0.15:
            behind = 1
        paid_months = months[: len(months) - behind - 1] if behind else months[:-1]
        # the current month: about two thirds have paid already
        if not behind and rng.random() < 0.66:
            paid_months = months
        proxy = rng.random() < 0.05
        quarterly = rng.random() < 0.05
        for m in months:
            year, month = month_of(m)
            bills.append(
                DuesBill(
                    person_id=pid,
                    party_org_id=org_id,
                    year=year,
                    month=month,
                    month_index=m,
                    amount_fen=amount[(pid, year)],
                )
            )
        chunk = 3 if quarterly else 1
        for i in range(0, len(paid_months), chunk):
            group = paid_months[i : i + chunk]
            year, month = month_of(group[-1])
            day = min(rng.randint(3, 25), 28)
            paid_on = dt.date(year, month, day)
            if paid_on > today:
                paid_on = today
            kind = "quarterly" if len(group) > 1 else "monthly"
            plan.append((pid, org_id, group, kind, paid_on, proxy))
    DuesBill.objects.bulk_create(bills, batch_size=5000)

    payments = [
        DuesPayment(
            person_id=pid,
            party_org_id=org_id,
            paid_on=paid_on,
            kind=kind,
            bills_fen=sum(amount[(pid, month_of(m)[0])] for m in group),
            amount_fen=sum(amount[(pid, month_of(m)[0])] for m in group),
            is_proxy=proxy,
            payer_name="家属代交" if proxy else "",
            approval_note="支委会批准按季交纳" if kind == "quarterly" else "",
        )
        for pid, org_id, group, kind, paid_on, proxy in plan
    ]
    DuesPayment.objects.bulk_create(payments, batch_size=5000)
    # link bills to payments: fetch ids back (bulk_create sets pk on both databases)
    by_key = {b.person_id * 100000 + b.month_index: b for b in bills}
    dirty = []
    for payment, (pid, _, group, _, paid_on, _) in zip(payments, plan, strict=True):
        for m in group:
            bill = by_key[pid * 100000 + m]
            bill.status = DuesBill.Status.PAID
            bill.paid_on = paid_on
            bill.payment_id = payment.pk
            dirty.append(bill)
    if dirty and dirty[0].pk is None:  # databases that do not return ids
        ids = {
            (p, m): pk
            for pk, p, m in DuesBill.objects.values_list("pk", "person_id", "month_index")
        }
        for bill in dirty:
            bill.pk = ids[(bill.person_id, bill.month_index)]
    DuesBill.objects.bulk_update(dirty, ["status", "paid_on", "payment"], batch_size=5000)

    branches = list(PartyOrg.objects.filter(kind=PartyOrg.Kind.BRANCH).values_list("pk", flat=True))
    expenses = []
    for org_id in branches:
        for quarter_end in (3, 6, 9, 12):
            spent = dt.date(today.year - 1, quarter_end, 28)
            expenses.append(
                DuesExpense(
                    party_org_id=org_id,
                    spent_on=spent,
                    kind=DuesExpense.Kind.REMIT,
                    amount_fen=rng.randrange(30000, 90000),
                    purpose=f"{spent.year}年第{quarter_end // 3}季度党费上缴矿党委",
                )
            )
    DuesExpense.objects.bulk_create(expenses)
