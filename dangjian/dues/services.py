"""Dues writes: assessments (年初核定) and wage changes, bill generation, payments, expenses,
rule-table edits. Keyword-only arguments, one transaction, scope re-check, audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core.rules import rule
from dangjian.core.scope import SYSTEM, assert_in_scope, has_permission, restrict
from dangjian.dues.models import (
    DuesAssessment,
    DuesBill,
    DuesBracket,
    DuesChange,
    DuesExpense,
    DuesPayment,
    IncomeComponent,
    MemberCategory,
    month_index,
    month_label,
    month_of,
)
from dangjian.dues.money import fmt_fen
from dangjian.dues.rules import compute_amount
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, MembershipStatus, Person

# Members who pay dues: probationary and full members whose membership is in force.
PAYING_STATUSES = (MembershipStatus.NORMAL, MembershipStatus.RESTORED)


def paying_members(qs: Any) -> Any:
    return qs.filter(
        political_status__in=PARTY_MEMBER_STATUSES, membership_status__in=PAYING_STATUSES
    )


def _require(actor: Any, model: type, action: str, message: str) -> None:
    if not has_permission(actor, model, action):
        raise PermissionDenied(message)


def _person_in_scope(actor: Any, person_id: int) -> Person:
    person = restrict(Person.objects.all(), actor, "view").filter(pk=person_id).first()
    if person is None:
        raise PermissionDenied("该党员不存在或不在您的数据权限范围内。")
    return person


def _clean_components(components: dict[str, Any] | None) -> dict[str, int]:
    known = set(IncomeComponent.objects.values_list("code", flat=True))
    cleaned: dict[str, int] = {}
    for code, value in (components or {}).items():
        if code not in known:
            raise ValidationError({code: ["未知的收入项目。"]})
        fen = int(value or 0)
        if fen < 0:
            raise ValidationError({code: ["金额不能为负数。"]})
        if fen:
            cleaned[code] = fen
    return cleaned


def amount_for_month(assessment: DuesAssessment, changes: Iterable[DuesChange], month: int) -> int:
    """The monthly amount in force in ``month``: the last change effective by then, else the
    amount fixed at the start of the year (年初核定)."""
    amount = assessment.monthly_fen
    for change in sorted(changes, key=lambda c: c.effective_month):
        if change.effective_month <= month:
            amount = change.monthly_fen
    return amount


def _refresh_unpaid_bills(assessment: DuesAssessment) -> int:
    """Unpaid bills of the year follow the assessment and its changes (paid ones never move)."""
    changes = list(assessment.changes.all())
    bills = list(
        DuesBill.objects.filter(
            person_id=assessment.person_id, year=assessment.year, status=DuesBill.Status.UNPAID
        )
    )
    dirty = []
    for bill in bills:
        amount = amount_for_month(assessment, changes, bill.month)
        if bill.amount_fen != amount:
            bill.amount_fen = amount
            dirty.append(bill)
    DuesBill.objects.bulk_update(dirty, ["amount_fen"])
    return len(dirty)


@transaction.atomic
def assessment_save(
    *,
    actor: Any,
    person_id: int,
    year: int,
    category: MemberCategory,
    components: dict[str, Any] | None = None,
    fixed_fen: int | None = None,
    note: str = "",
) -> DuesAssessment:
    """Create or replace a member's 年初核定 for ``year``."""
    _require(actor, DuesAssessment, "add", "您没有核定党费基数的权限。")
    person = _person_in_scope(actor, person_id)
    if not paying_members(Person.objects.filter(pk=person.pk)).exists():
        raise ValidationError({"person": ["只有党籍正常的党员（含预备党员）需要核定党费。"]})
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": ["年度不正确。"]})
    cleaned = _clean_components(components)
    amount = compute_amount(category, components=cleaned, fixed_fen=fixed_fen)
    existing = DuesAssessment.objects.select_for_update().filter(person=person, year=year).first()
    before = (
        {"category": existing.category_id, "monthly_fen": existing.monthly_fen} if existing else {}
    )
    assessment = existing or DuesAssessment(person=person, year=year, created_by=_user(actor))
    assessment.party_org_id = person.party_org_id
    assessment.category = category
    assessment.components = cleaned if category.kind == MemberCategory.Kind.BRACKET else {}
    assessment.base_fen = amount.base_fen
    assessment.rate = amount.rate
    assessment.monthly_fen = amount.monthly_fen
    assessment.note = note[:200]
    assessment.save()
    assert_in_scope(assessment, actor, "change" if existing else "add")
    _refresh_unpaid_bills(assessment)
    audit_record(
        "update" if existing else "create",
        obj=assessment,
        changes={
            "before": before,
            "after": {
                "category": category.code,
                "base": fmt_fen(amount.base_fen),
                "rate": str(amount.rate) if amount.rate is not None else None,
                "monthly": fmt_fen(amount.monthly_fen),
            },
        },
        actor=actor,
    )
    return assessment


@transaction.atomic
def change_record(
    *,
    actor: Any,
    assessment_id: int,
    effective_month: int,
    components: dict[str, Any] | None = None,
    fixed_fen: int | None = None,
    reason: str,
) -> DuesChange:
    """A wage change: the new amount applies from ``effective_month`` (the month it is paid)."""
    _require(actor, DuesAssessment, "change", "您没有修改党费核定的权限。")
    assessment = (
        restrict(DuesAssessment.objects.select_related("category"), actor, "change")
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        raise PermissionDenied("该核定记录不存在或不在您的数据权限范围内。")
    errors: dict[str, list[str]] = {}
    if not 1 <= int(effective_month) <= 12:
        errors["effective_month"] = ["起始月份应为 1–12。"]
    if not reason.strip():
        errors["reason"] = ["请填写变动原因。"]
    if errors:
        raise ValidationError(errors)
    cleaned = _clean_components(components)
    amount = compute_amount(assessment.category, components=cleaned, fixed_fen=fixed_fen)
    change, _ = DuesChange.objects.update_or_create(
        assessment=assessment,
        effective_month=effective_month,
        defaults={
            "components": cleaned,
            "base_fen": amount.base_fen,
            "rate": amount.rate,
            "monthly_fen": amount.monthly_fen,
            "reason": reason.strip()[:200],
        },
    )
    _refresh_unpaid_bills(assessment)
    audit_record(
        "update",
        obj=assessment,
        changes={
            "effective_month": effective_month,
            "base": fmt_fen(amount.base_fen),
            "monthly": fmt_fen(amount.monthly_fen),
        },
        reason=reason,
        actor=actor,
    )
    return change


def _user(actor: Any) -> Any:
    return None if actor is SYSTEM else actor


def _create_bills(
    persons: list[tuple[int, int]], year: int, month: int
) -> tuple[list[DuesBill], int]:
    """Bills for (person_id, party_org_id) pairs that have none for the month yet; returns the
    new bills and the number of persons without an assessment for the year."""
    index = month_index(year, month)
    person_ids = [pid for pid, _ in persons]
    existing = set(
        DuesBill.objects.filter(month_index=index, person_id__in=person_ids).values_list(
            "person_id", flat=True
        )
    )
    assessments = {
        a.person_id: a
        for a in DuesAssessment.objects.filter(year=year, person_id__in=person_ids)
        .exclude(person_id__in=existing)
        .prefetch_related("changes")
    }
    new: list[DuesBill] = []
    missing = 0
    for pid, org_id in persons:
        if pid in existing:
            continue
        assessment = assessments.get(pid)
        if assessment is None:
            missing += 1
            continue
        new.append(
            DuesBill(
                person_id=pid,
                party_org_id=org_id,
                year=year,
                month=month,
                month_index=index,
                amount_fen=amount_for_month(assessment, assessment.changes.all(), month),
            )
        )
    DuesBill.objects.bulk_create(new, batch_size=1000)
    return new, missing


@transaction.atomic
def bills_generate(
    *, actor: Any, year: int, month: int, org: PartyOrg | None = None
) -> dict[str, int]:
    """Monthly bills for every paying member in the actor's scope (and under ``org``).

    Idempotent: a member who already has the month's bill gets nothing new. Members without an
    assessment for the year are counted, not billed.
    """
    _require(actor, DuesBill, "add", "您没有生成党费账单的权限。")
    if not 1 <= int(month) <= 12 or not 2000 <= int(year) <= 2100:
        raise ValidationError({"month": ["年月不正确。"]})
    persons = paying_members(restrict(Person.objects.all(), actor, "view"))
    if org is not None:
        persons = persons.filter(party_org__path__startswith=org.path)
    pairs = list(persons.values_list("pk", "party_org_id"))
    new, missing = _create_bills(pairs, year, month)
    index = month_index(year, month)
    if new:
        visible = (
            restrict(DuesBill.objects.filter(month_index=index), actor, "add")
            .filter(person_id__in=[b.person_id for b in new])
            .count()
        )
        if visible != len(new):
            raise PermissionDenied("生成的账单超出您的数据权限范围。")
    result = {"created": len(new), "existing": len(pairs) - len(new) - missing, "missing": missing}
    audit_record(
        "create",
        obj=("dues.duesbill", "", f"{month_label(index)} 党费账单"),
        changes={"org": org.pk if org else None, **result},
        actor=actor,
    )
    return result


def _validate_months(
    kind: str, months: list[int], paid_on: dt.date, approval_note: str
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    current = month_index(paid_on.year, paid_on.month)
    limit = int(rule("dues.makeup_max_months"))
    too_old = [m for m in months if current - m > limit]
    if too_old:
        errors["months"] = [
            f"补交最多 {limit} 个月：{month_label(min(too_old))} 已超过补交期限"
            f"（交纳日期 {paid_on:%Y-%m-%d}），请报上级党委研究处理。"
        ]
        return errors
    if kind == DuesPayment.Kind.MONTHLY:
        if months != [current]:
            errors["months"] = ["按月交纳只能交纳交纳日期所在月份；往月请选择“补交”。"]
    elif kind == DuesPayment.Kind.QUARTERLY:
        quarter = (paid_on.month - 1) // 3
        if any(m // 12 != paid_on.year or (m % 12) // 3 != quarter for m in months):
            errors["months"] = ["按季交纳只能交纳交纳日期所在季度的月份。"]
        if not approval_note.strip():
            errors["approval_note"] = ["按季交纳须经党支部批准，请填写批准情况。"]
    elif kind == DuesPayment.Kind.MAKEUP:
        if any(m > current for m in months):
            errors["months"] = ["补交只能交纳交纳日期所在月份及以前的月份。"]
        elif not any(m < current for m in months):
            errors["months"] = ["补交应包含交纳日期以前的月份；当月请选择“按月交纳”。"]
    else:
        errors["kind"] = ["交纳方式不正确。"]
    return errors


@transaction.atomic
def payment_record(
    *,
    actor: Any,
    person_id: int,
    months: list[int],
    paid_on: dt.date,
    kind: str,
    is_proxy: bool = False,
    payer_name: str = "",
    payer_person_id: int | None = None,
    approval_note: str = "",
    voluntary_fen: int = 0,
    note: str = "",
    today: dt.date | None = None,
) -> DuesPayment:
    """Record a payment of whole months (``month_index`` values) for one member."""
    _require(actor, DuesPayment, "add", "您没有登记党费交纳的权限。")
    person = _person_in_scope(actor, person_id)
    today = today or timezone.localdate()
    months = sorted(set(int(m) for m in months))
    errors: dict[str, list[str]] = {}
    if paid_on > today:
        errors["paid_on"] = ["交纳日期不能晚于今天。"]
    if not months and not voluntary_fen:
        errors["months"] = ["请选择要交纳的月份。"]
    if voluntary_fen < 0:
        errors["voluntary"] = ["自愿多交金额不能为负数。"]
    payer_person = None
    if is_proxy:
        if payer_person_id:
            payer_person = _person_in_scope(actor, payer_person_id)
            payer_name = payer_name or payer_person.name
        if not payer_name.strip():
            errors["payer_name"] = ["代交须填写代交人姓名。"]
    if months and not errors:
        errors.update(_validate_months(kind, months, paid_on, approval_note))
    if errors:
        raise ValidationError(errors)
    # bills for months not generated yet (e.g. a quarter paid in advance) are generated now
    have = set(
        DuesBill.objects.filter(person=person, month_index__in=months).values_list(
            "month_index", flat=True
        )
    )
    for m in sorted(set(months) - have):
        year, month = month_of(m)
        _, missing = _create_bills([(person.pk, person.party_org_id)], year, month)
        if missing:
            raise ValidationError(
                {"months": [f"尚未核定 {year} 年度党费基数，不能交纳 {year} 年党费。"]}
            )
    bills = list(
        restrict(DuesBill.objects.select_for_update(), actor, "view").filter(
            person=person, month_index__in=months
        )
    )
    if len(bills) != len(months):
        raise PermissionDenied("所选月份的账单不在您的数据权限范围内。")
    paid = [b for b in bills if b.status == DuesBill.Status.PAID]
    if paid:
        raise ValidationError(
            {"months": [f"{'、'.join(b.label for b in paid)} 已交纳，不能重复交纳。"]}
        )
    bills_fen = sum(b.amount_fen for b in bills)
    payment = DuesPayment.objects.create(
        person=person,
        party_org_id=person.party_org_id,
        paid_on=paid_on,
        kind=kind,
        bills_fen=bills_fen,
        voluntary_fen=voluntary_fen,
        amount_fen=bills_fen + voluntary_fen,
        to_centre=voluntary_fen >= int(rule("dues.centre_single_payment_fen")),
        is_proxy=is_proxy,
        payer_name=payer_name.strip()[:40] if is_proxy else "",
        payer_person=payer_person,
        approval_note=approval_note.strip()[:200],
        note=note.strip()[:200],
        recorded_by=_user(actor),
    )
    assert_in_scope(payment, actor, "add")
    DuesBill.objects.filter(pk__in=[b.pk for b in bills]).update(
        status=DuesBill.Status.PAID, paid_on=paid_on, payment=payment
    )
    audit_record(
        "create",
        obj=payment,
        changes={
            "months": [month_label(m) for m in months],
            "kind": kind,
            "amount": fmt_fen(payment.amount_fen),
            "voluntary": fmt_fen(voluntary_fen),
            "proxy": payment.payer_name if is_proxy else "",
            "to_centre": payment.to_centre,
        },
        actor=actor,
    )
    return payment


@transaction.atomic
def expense_record(
    *,
    actor: Any,
    org_id: int,
    spent_on: dt.date,
    kind: str,
    amount_fen: int,
    purpose: str,
) -> DuesExpense:
    _require(actor, DuesExpense, "add", "您没有登记党费支出的权限。")
    org = restrict(PartyOrg.objects.all(), actor, "view").filter(pk=org_id).first()
    if org is None:
        raise PermissionDenied("该党组织不存在或不在您的数据权限范围内。")
    errors: dict[str, list[str]] = {}
    if kind not in DuesExpense.Kind.values:
        errors["kind"] = ["类型不正确。"]
    if amount_fen <= 0:
        errors["amount"] = ["金额应大于 0。"]
    if not purpose.strip():
        errors["purpose"] = ["请填写用途或说明。"]
    if errors:
        raise ValidationError(errors)
    expense = DuesExpense.objects.create(
        party_org=org,
        spent_on=spent_on,
        kind=kind,
        amount_fen=amount_fen,
        purpose=purpose.strip()[:200],
        recorded_by=_user(actor),
    )
    assert_in_scope(expense, actor, "add")
    audit_record(
        "create", obj=expense, changes={"amount": fmt_fen(amount_fen), "kind": kind}, actor=actor
    )
    return expense


# --- rule tables ----------------------------------------------------------------------------


@transaction.atomic
def bracket_update(*, actor: Any, bracket_id: int, upper_fen: int | None, rate: Decimal) -> None:
    _require(actor, DuesBracket, "change", "您没有修改党费规则的权限。")
    bracket = DuesBracket.objects.select_for_update().get(pk=bracket_id)
    if not Decimal(0) <= rate <= Decimal("0.1"):
        raise ValidationError({"rate": ["比例应在 0–10% 之间。"]})
    clash = DuesBracket.objects.filter(scheme=bracket.scheme, upper_fen=upper_fen).exclude(
        pk=bracket.pk
    )
    if clash.exists():
        raise ValidationError({"upper": ["同一档次中已有相同上限。"]})
    before = {"upper_fen": bracket.upper_fen, "rate": str(bracket.rate)}
    bracket.upper_fen = upper_fen
    bracket.rate = rate
    bracket.save()
    audit_record(
        "update",
        obj=bracket,
        changes={"before": before, "after": {"upper_fen": upper_fen, "rate": str(rate)}},
        actor=actor,
    )


@transaction.atomic
def category_update(
    *, actor: Any, category_id: int, fixed_min_fen: int, fixed_max_fen: int, active: bool
) -> None:
    _require(actor, MemberCategory, "change", "您没有修改党费规则的权限。")
    category = MemberCategory.objects.select_for_update().get(pk=category_id)
    if fixed_min_fen > fixed_max_fen:
        raise ValidationError({"fixed_max": ["上限不能小于下限。"]})
    before = {
        "min": category.fixed_min_fen,
        "max": category.fixed_max_fen,
        "active": category.active,
    }
    category.fixed_min_fen, category.fixed_max_fen = fixed_min_fen, fixed_max_fen
    category.active = active
    category.save()
    audit_record(
        "update",
        obj=category,
        changes={
            "before": before,
            "after": {"min": fixed_min_fen, "max": fixed_max_fen, "active": active},
        },
        actor=actor,
    )


@transaction.atomic
def component_update(*, actor: Any, component_id: int, sign: int, active: bool) -> None:
    _require(actor, IncomeComponent, "change", "您没有修改党费规则的权限。")
    comp = IncomeComponent.objects.select_for_update().get(pk=component_id)
    if sign not in (1, -1):
        raise ValidationError({"sign": ["计入方式不正确。"]})
    before = {"sign": comp.sign, "active": comp.active}
    comp.sign, comp.active = sign, active
    comp.save()
    audit_record(
        "update",
        obj=comp,
        changes={"before": before, "after": {"sign": sign, "active": active}},
        actor=actor,
    )
