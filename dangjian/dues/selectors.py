"""Dues reads, every queryset scoped with ``restrict(qs, user, action)``: assessments, bills,
payments, arrears, paid-up months, roll-ups by organisation subtree, yearly disclosure.

Roll-ups are set-based: one grouped query over the bills of a subtree, whatever the number of
organisations or members (the child organisation is the fixed-width prefix of the path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from dangjian.core.scope import restrict
from dangjian.dues.models import (
    DuesAssessment,
    DuesBill,
    DuesExpense,
    DuesPayment,
    month_index,
)
from dangjian.orgs.models import PATH_SEGMENT_WIDTH, PartyOrg
from dangjian.people.models import Person

SEGMENT = PATH_SEGMENT_WIDTH + 1


def _int(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def list_filters(params: Mapping[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """Filters shared by the dues lists, parsed leniently from a query string."""
    today = today or timezone.localdate()
    return {
        "q": str(params.get("q") or "").strip()[:50],
        "org": _int(params.get("org"), 1, 2**62),
        "year": _int(params.get("year"), 2000, 2100) or today.year,
        "month": _int(params.get("month"), 1, 12),
        "status": params.get("status") if params.get("status") in ("paid", "unpaid") else "",
        "kind": str(params.get("kind") or "")[:12],
    }


def _org_filter(qs: QuerySet[Any], user: Any, org_id: int | None, path: str) -> QuerySet[Any]:
    if not org_id:
        return qs
    org = restrict(PartyOrg.objects.all(), user, "view").filter(pk=org_id).first()
    if org is None:
        return qs.none()
    return qs.filter(**{f"{path}__startswith": org.path})


def _search(qs: QuerySet[Any], q: str) -> QuerySet[Any]:
    if not q:
        return qs
    return qs.filter(Q(person__name__icontains=q) | Q(person__employee_no=q))


def bill_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    org: int | None = None,
    year: int | None = None,
    month: int | None = None,
    status: str = "",
    person: int | None = None,
    **_: Any,
) -> QuerySet[DuesBill]:
    qs = restrict(DuesBill.objects.all(), user, action).select_related("person", "party_org")
    qs = _org_filter(qs, user, org, "party_org__path")
    qs = _search(qs, q)
    if year:
        qs = qs.filter(year=year)
    if month:
        qs = qs.filter(month=month)
    if status:
        qs = qs.filter(status=status)
    if person:
        qs = qs.filter(person_id=person)
    return qs


def payment_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    org: int | None = None,
    year: int | None = None,
    month: int | None = None,
    kind: str = "",
    person: int | None = None,
    **_: Any,
) -> QuerySet[DuesPayment]:
    qs = restrict(DuesPayment.objects.all(), user, action).select_related("person", "party_org")
    qs = _org_filter(qs, user, org, "party_org__path")
    qs = _search(qs, q)
    if year:
        qs = qs.filter(paid_on__year=year)
    if month:
        qs = qs.filter(paid_on__month=month)
    if kind == "proxy":
        qs = qs.filter(is_proxy=True)
    elif kind in DuesPayment.Kind.values:
        qs = qs.filter(kind=kind)
    if person:
        qs = qs.filter(person_id=person)
    return qs


def payment_get(*, user: Any, pk: int) -> DuesPayment | None:
    return (
        restrict(DuesPayment.objects.all(), user, "view")
        .select_related("person", "party_org", "payer_person")
        .prefetch_related("bills")
        .filter(pk=pk)
        .first()
    )


def assessment_list(
    *,
    user: Any,
    action: str = "view",
    q: str = "",
    org: int | None = None,
    year: int | None = None,
    **_: Any,
) -> QuerySet[DuesAssessment]:
    qs = restrict(DuesAssessment.objects.all(), user, action).select_related(
        "person", "party_org", "category"
    )
    qs = _org_filter(qs, user, org, "party_org__path")
    qs = _search(qs, q)
    if year:
        qs = qs.filter(year=year)
    return qs


def assessment_get(*, user: Any, pk: int, action: str = "view") -> DuesAssessment | None:
    return (
        restrict(DuesAssessment.objects.all(), user, action)
        .select_related("person", "party_org", "category")
        .prefetch_related("changes")
        .filter(pk=pk)
        .first()
    )


def members_for_assessment(
    *, user: Any, year: int, q: str = "", org: int | None = None, missing_only: bool = False
) -> QuerySet[Person]:
    """Paying members in scope with their assessment of ``year`` (if any) annotated."""
    from dangjian.dues.services import paying_members

    qs = paying_members(restrict(Person.objects.all(), user, "view")).select_related("party_org")
    qs = _org_filter(qs, user, org, "party_org__path")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(employee_no=q))
    year_q = Q(dues_assessments__year=year)
    qs = qs.annotate(
        assessment_id=Max("dues_assessments__pk", filter=year_q),
        monthly_fen=Max("dues_assessments__monthly_fen", filter=year_q),
        base_fen=Max("dues_assessments__base_fen", filter=year_q),
        category_name=Max("dues_assessments__category__name", filter=year_q),
    )
    if missing_only:
        qs = qs.filter(assessment_id__isnull=True)
    return qs


def person_for_dues(*, user: Any, pk: int) -> Person | None:
    return (
        restrict(Person.objects.all(), user, "view")
        .select_related("party_org")
        .filter(pk=pk)
        .first()
    )


# --- paid-up month, arrears ------------------------------------------------------------------


def paid_up_months(person_ids: list[int], until: int | None = None) -> dict[int, int | None]:
    """党费交至 per person as a month index: the last month before the first unpaid bill, or
    the last paid month when nothing earlier is open. Two aggregates, one query.

    ``until`` (a month index) counts only the bills up to that month: the paid-up month as it
    stands for a year's ledger, whatever was billed after the year."""
    bills = DuesBill.objects.filter(person_id__in=person_ids)
    if until is not None:
        bills = bills.filter(month_index__lte=until)
    rows = bills.values("person_id").annotate(
        last_paid=Max("month_index", filter=Q(status=DuesBill.Status.PAID)),
        first_unpaid=Min("month_index", filter=Q(status=DuesBill.Status.UNPAID)),
    )
    result: dict[int, int | None] = {pid: None for pid in person_ids}
    for row in rows:
        last, first = row["last_paid"], row["first_unpaid"]
        if last is None:
            result[row["person_id"]] = None
        elif first is not None and first < last:
            result[row["person_id"]] = first - 1
        else:
            result[row["person_id"]] = last
    return result


def arrears_list(
    *,
    user: Any,
    today: dt.date | None = None,
    q: str = "",
    org: int | None = None,
    min_months: int = 1,
    **_: Any,
) -> QuerySet[Any]:
    """Per member: unpaid bills of months that have ended (count, amount, earliest month)."""
    today = today or timezone.localdate()
    current = month_index(today.year, today.month)
    qs = bill_list(user=user, q=q, org=org).filter(
        status=DuesBill.Status.UNPAID, month_index__lt=current
    )
    return (
        qs.values(
            "person_id",
            "person__name",
            "person__employee_no",
            "party_org_id",
            "party_org__name",
        )
        .annotate(
            months=Count("pk"),
            amount_fen=Sum("amount_fen"),
            first_month=Min("month_index"),
            last_month=Max("month_index"),
        )
        .filter(months__gte=max(int(min_months), 1))
        .order_by("-months", "person__employee_no")
    )


# --- roll-ups by organisation ----------------------------------------------------------------


@dataclass
class RollupRow:
    org: PartyOrg | None
    label: str
    due_fen: int = 0
    paid_fen: int = 0
    unpaid_fen: int = 0
    persons: int = 0
    persons_unpaid: int = 0
    bills: int = 0
    drill: bool = False

    @property
    def persons_paid(self) -> int:
        return self.persons - self.persons_unpaid

    @property
    def rate(self) -> float:
        return round(self.paid_fen * 100 / self.due_fen, 1) if self.due_fen else 0.0


@dataclass
class Rollup:
    parent: PartyOrg
    rows: list[RollupRow] = field(default_factory=list)
    total: RollupRow = field(default_factory=lambda: RollupRow(org=None, label="合计"))


def rollup_root(user: Any) -> PartyOrg | None:
    """The highest organisation whose bills the user sees (the committee for leaders)."""
    return restrict(PartyOrg.objects.all(), user, "view").order_by("depth", "path").first()


def rollup(*, user: Any, parent: PartyOrg, year: int, month: int | None = None) -> Rollup:
    """Due / paid / unpaid (amounts and people) per child organisation of ``parent``."""
    bills = restrict(DuesBill.objects.all(), user, "view").filter(
        party_org__path__startswith=parent.path, year=year
    )
    if month:
        bills = bills.filter(month=month)
    width = len(parent.path) + SEGMENT
    unpaid = Q(status=DuesBill.Status.UNPAID)
    grouped = (
        bills.annotate(child=Substr(F("party_org__path"), 1, width))
        .values("child")
        .annotate(
            due=Coalesce(Sum("amount_fen"), Value(0)),
            paid=Coalesce(Sum("amount_fen", filter=~unpaid), Value(0)),
            persons=Count("person", distinct=True),
            persons_unpaid=Count("person", filter=unpaid, distinct=True),
            n=Count("pk"),
        )
        .order_by()
    )
    by_path = {row["child"]: row for row in grouped}
    children = list(
        restrict(PartyOrg.objects.filter(parent=parent), user, "view")
        .exclude(kind=PartyOrg.Kind.GROUP)
        .order_by("sort_order", "path")
    )
    result = Rollup(parent=parent)
    rows: list[tuple[PartyOrg | None, str, dict[str, Any] | None, bool]] = [
        (c, c.display_name, by_path.get(c.path), True) for c in children
    ]
    own = by_path.get(parent.path)
    if own:
        rows.insert(0, (None, f"{parent.name}（本级）", own, False))
    for org, label, data, drill in rows:
        row = RollupRow(org=org, label=label, drill=drill)
        if data:
            row.due_fen, row.paid_fen = int(data["due"]), int(data["paid"])
            row.unpaid_fen = row.due_fen - row.paid_fen
            row.persons, row.persons_unpaid = data["persons"], data["persons_unpaid"]
            row.bills = data["n"]
        result.rows.append(row)
    totals = bills.aggregate(
        due=Coalesce(Sum("amount_fen"), Value(0)),
        paid=Coalesce(Sum("amount_fen", filter=~unpaid), Value(0)),
        persons=Count("person", distinct=True),
        persons_unpaid=Count("person", filter=unpaid, distinct=True),
        n=Count("pk"),
    )
    result.total = RollupRow(
        org=parent,
        label="合计",
        due_fen=int(totals["due"]),
        paid_fen=int(totals["paid"]),
        unpaid_fen=int(totals["due"]) - int(totals["paid"]),
        persons=totals["persons"],
        persons_unpaid=totals["persons_unpaid"],
        bills=totals["n"],
    )
    return result


# --- disclosure (收支公开) ---------------------------------------------------------------------


@dataclass
class Disclosure:
    org: PartyOrg
    year: int
    opening_fen: int
    collected_fen: int
    voluntary_fen: int
    to_centre_fen: int
    remitted_fen: int
    spent_fen: int
    months: list[tuple[int, int, int]]  # (month, collected, used)
    expenses: list[DuesExpense]

    @property
    def used_fen(self) -> int:
        return self.remitted_fen + self.spent_fen

    @property
    def closing_fen(self) -> int:
        return self.opening_fen + self.collected_fen - self.used_fen


def disclosure_orgs(*, user: Any) -> QuerySet[PartyOrg]:
    return restrict(PartyOrg.objects.all(), user, "view").exclude(kind=PartyOrg.Kind.GROUP)


def disclosure(*, user: Any, org: PartyOrg, year: int) -> Disclosure:
    """Collected, used and balance of an organisation (its subtree) for a year, by month."""
    payments = restrict(DuesPayment.objects.all(), user, "view").filter(
        party_org__path__startswith=org.path
    )
    expenses = restrict(DuesExpense.objects.all(), user, "view").filter(
        party_org__path__startswith=org.path
    )
    start = dt.date(year, 1, 1)
    before_in = payments.filter(paid_on__lt=start).aggregate(s=Coalesce(Sum("amount_fen"), 0))
    before_out = expenses.filter(spent_on__lt=start).aggregate(s=Coalesce(Sum("amount_fen"), 0))
    year_pay = payments.filter(paid_on__year=year)
    year_exp = expenses.filter(spent_on__year=year)
    pay_tot = year_pay.aggregate(
        total=Coalesce(Sum("amount_fen"), 0),
        voluntary=Coalesce(Sum("voluntary_fen"), 0),
        centre=Coalesce(Sum("voluntary_fen", filter=Q(to_centre=True)), 0),
    )
    exp_tot = year_exp.aggregate(
        remit=Coalesce(Sum("amount_fen", filter=Q(kind=DuesExpense.Kind.REMIT)), 0),
        spend=Coalesce(Sum("amount_fen", filter=Q(kind=DuesExpense.Kind.SPEND)), 0),
    )
    pay_by_month = dict(
        year_pay.values_list("paid_on__month").annotate(s=Sum("amount_fen")).order_by()
    )
    exp_by_month = dict(
        year_exp.values_list("spent_on__month").annotate(s=Sum("amount_fen")).order_by()
    )
    months = [
        (m, int(pay_by_month.get(m) or 0), int(exp_by_month.get(m) or 0)) for m in range(1, 13)
    ]
    return Disclosure(
        org=org,
        year=year,
        opening_fen=int(before_in["s"]) - int(before_out["s"]),
        collected_fen=int(pay_tot["total"]),
        voluntary_fen=int(pay_tot["voluntary"]),
        to_centre_fen=int(pay_tot["centre"]),
        remitted_fen=int(exp_tot["remit"]),
        spent_fen=int(exp_tot["spend"]),
        months=months,
        expenses=list(year_exp.select_related("party_org").order_by("spent_on", "pk")),
    )


def my_dues(*, user: Any, today: dt.date | None = None) -> dict[str, Any] | None:
    """The member's own page: open bills, paid-up month, this year's assessment."""
    today = today or timezone.localdate()
    person = getattr(user, "person", None) if getattr(user, "pk", None) else None
    if person is None:
        return None
    bills = bill_list(user=user, person=person.pk)
    current = month_index(today.year, today.month)
    open_bills = list(bills.filter(status=DuesBill.Status.UNPAID).order_by("month_index"))
    return {
        "person": person,
        "paid_up": paid_up_months([person.pk]).get(person.pk),
        "open_bills": open_bills,
        "owed_fen": sum(b.amount_fen for b in open_bills if b.month_index <= current),
        "overdue": sum(1 for b in open_bills if b.month_index < current),
        "assessment": assessment_list(user=user, year=today.year).filter(person=person).first(),
        "payments": list(payment_list(user=user, person=person.pk).order_by("-paid_on")[:12]),
    }
