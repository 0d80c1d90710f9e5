"""Dues pages. Views parse input, call a selector or service, render. No permission anywhere:
403; an object outside the user's scope: 404 (indistinguishable from a missing one)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.exports import export_start
from dangjian.core.listing import paginate_sorted
from dangjian.core.models import Job
from dangjian.core.rules import rule
from dangjian.core.scope import has_permission, restrict
from dangjian.dues import exporting, selectors, services
from dangjian.dues.models import (
    DuesAssessment,
    DuesBill,
    DuesBracket,
    DuesExpense,
    DuesPayment,
    IncomeComponent,
    MemberCategory,
    month_index,
    month_label,
)
from dangjian.dues.money import MoneyError, fmt_fen, parse_yuan
from dangjian.dues.rules import component_fields
from dangjian.orgs.models import PartyOrg

SECTION = "党费管理"


def _require(user: Any, model: type, action: str) -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有访问该党费信息的权限。")


def _crumbs(label: str, *middle: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(SECTION, None), *middle, (label, None)]


def _years(today: dt.date) -> list[int]:
    return list(range(today.year + 1, today.year - 5, -1))


def _org_choices(user: Any) -> list[PartyOrg]:
    return list(
        selectors.disclosure_orgs(user=user)
        .filter(dissolved_on__isnull=True)
        .only("pk", "name", "depth", "path")
        .order_by("path")
    )


def _base_context(request: HttpRequest, title: str, filters: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "page_title": title,
        "breadcrumbs": _crumbs(title),
        "filters": filters,
        "years": _years(today),
        "month_choices": range(1, 13),
        "orgs": _org_choices(request.user),
    }


def _htmx_target(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    return str(htmx.target or "") if htmx else ""


# --- roll-up ---------------------------------------------------------------------------------


@require_GET
def rollup_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesBill, "export")
    filters = selectors.list_filters(request.GET)
    parent = None
    if filters["org"]:
        parent = (
            restrict(PartyOrg.objects.all(), request.user, "view").filter(pk=filters["org"]).first()
        )
        if parent is None:
            raise Http404
    parent = parent or selectors.rollup_root(request.user)
    context = _base_context(request, "党费收缴汇总", filters)
    if parent is not None:
        result = selectors.rollup(
            user=request.user, parent=parent, year=filters["year"], month=filters["month"]
        )
        context["rollup"] = result
        context["chart"] = {
            "tooltip": {"trigger": "axis"},
            "legend": {"data": ["已交", "未交"]},
            "xAxis": {"type": "category", "data": [r.label for r in result.rows]},
            "yAxis": {"type": "value", "name": "元"},
            "series": [
                {
                    "name": "已交",
                    "type": "bar",
                    "stack": "t",
                    "data": [r.paid_fen / 100 for r in result.rows],
                },
                {
                    "name": "未交",
                    "type": "bar",
                    "stack": "t",
                    "data": [r.unpaid_fen / 100 for r in result.rows],
                },
            ],
        }
        context["ancestors"] = list(
            restrict(PartyOrg.objects.all(), request.user, "view")
            .filter(pk__in=parent.ancestor_ids())
            .order_by("depth")
        )
    return render(request, "dues/rollup.html", context)


# --- assessments -----------------------------------------------------------------------------

ASSESS_SORT = {"employee_no": "employee_no", "name": "name", "org": "party_org__path"}


@require_GET
def assessment_list_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesAssessment, "add")
    filters = selectors.list_filters(request.GET)
    missing = request.GET.get("missing") == "1"
    qs = selectors.members_for_assessment(
        user=request.user,
        year=filters["year"],
        q=filters["q"],
        org=filters["org"],
        missing_only=missing,
    )
    listing = paginate_sorted(request, qs, sortable=ASSESS_SORT, default_sort="employee_no")
    context = _base_context(request, "党费年度核定", filters)
    context.update({"listing": listing, "missing": missing, "export_key": "assessments"})
    if _htmx_target(request) == "dues-table":
        return render(request, "dues/assessment_list.html#dues-table", context)
    return render(request, "dues/assessment_list.html", context)


def _parse_components(data: Any, scheme: str) -> tuple[dict[str, int], dict[str, str]]:
    values: dict[str, int] = {}
    errors: dict[str, str] = {}
    for comp in component_fields(scheme):
        raw = str(data.get(f"c_{comp.code}", "") or "").strip()
        if not raw:
            continue
        try:
            values[comp.code] = parse_yuan(raw)
        except MoneyError as exc:
            errors[f"c_{comp.code}"] = str(exc)
    return values, errors


@never_cache
@require_http_methods(["GET", "POST"])
def assessment_edit(request: HttpRequest, person_id: int, year: int) -> HttpResponse:
    """核定 one member's year: category, income components (元) → base, rate, monthly amount.
    An HTMX post with ``preview=1`` validates inline and shows the amount without saving."""
    _require(request.user, DuesAssessment, "add")
    person = selectors.person_for_dues(user=request.user, pk=person_id)
    if person is None or not 2000 <= year <= 2100:
        raise Http404
    existing = DuesAssessment.objects.filter(person=person, year=year).first()
    categories = list(MemberCategory.objects.filter(active=True))
    data = request.POST if request.method == "POST" else None
    errors: dict[str, str] = {}
    preview = None
    chosen: MemberCategory | None = None
    if data is not None:
        chosen = next((c for c in categories if str(c.pk) == data.get("category")), None)
        if chosen is None:
            errors["category"] = "请选择党员类别。"
        else:
            components, errors = _parse_components(data, chosen.scheme or "wage")
            fixed = None
            if chosen.kind == MemberCategory.Kind.FIXED and data.get("fixed_amount"):
                try:
                    fixed = parse_yuan(data.get("fixed_amount"))
                except MoneyError as exc:
                    errors["fixed_amount"] = str(exc)
            if not errors:
                try:
                    if data.get("preview") == "1":
                        from dangjian.dues.rules import compute_amount

                        preview = compute_amount(chosen, components=components, fixed_fen=fixed)
                    else:
                        services.assessment_save(
                            actor=request.user,
                            person_id=person.pk,
                            year=year,
                            category=chosen,
                            components=components,
                            fixed_fen=fixed,
                            note=str(data.get("note", "")),
                        )
                        messages.success(request, f"已核定 {person.name} {year} 年度党费。")
                        return redirect(
                            f"{reverse('dues:assessments')}?year={year}&org={person.party_org_id}"
                        )
                except ValidationError as exc:
                    for key, msgs in exc.message_dict.items():
                        errors[key] = "；".join(msgs)
    current = chosen or (existing.category if existing else categories[0] if categories else None)
    values = {}
    if data is not None:
        values = {k: v for k, v in data.items() if k.startswith("c_") or k == "fixed_amount"}
    elif existing:
        values = {f"c_{k}": fmt_fen(v) for k, v in existing.components.items()}
        if existing.category.kind == MemberCategory.Kind.FIXED:
            values["fixed_amount"] = fmt_fen(existing.monthly_fen)
    context = {
        "page_title": f"核定党费：{person.name}（{year}年）",
        "breadcrumbs": _crumbs(
            person.name, ("党费年度核定", reverse("dues:assessments") + f"?year={year}")
        ),
        "person": person,
        "year": year,
        "existing": existing,
        "categories": categories,
        "current": current,
        "components": component_fields(current.scheme if current and current.scheme else "wage"),
        "values": values,
        "errors": errors,
        "preview": preview,
        "note": (data.get("note", "") if data is not None else (existing.note if existing else "")),
        "changes": list(existing.changes.all()) if existing else [],
        "can_change": existing is not None
        and has_permission(request.user, DuesAssessment, "change"),
        "months": range(1, 13),
    }
    if _htmx_target(request) == "assessment-form":
        return render(request, "dues/assessment_form.html#assessment-form", context)
    return render(request, "dues/assessment_form.html", context, status=422 if errors else 200)


@require_POST
def assessment_change(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, DuesAssessment, "change")
    assessment = selectors.assessment_get(user=request.user, pk=pk, action="change")
    if assessment is None:
        raise Http404
    components, errors = _parse_components(request.POST, assessment.category.scheme or "wage")
    url = reverse("dues:assessment_edit", args=[assessment.person_id, assessment.year])
    fixed = None
    if request.POST.get("fixed_amount"):
        try:
            fixed = parse_yuan(request.POST.get("fixed_amount"))
        except MoneyError as exc:
            errors["fixed_amount"] = str(exc)
    if errors:
        messages.error(request, "；".join(errors.values()))
        return redirect(url)
    try:
        month = int(request.POST.get("effective_month", "0"))
    except ValueError:
        month = 0
    try:
        services.change_record(
            actor=request.user,
            assessment_id=assessment.pk,
            effective_month=month,
            components=components,
            fixed_fen=fixed,
            reason=str(request.POST.get("reason", "")),
        )
        messages.success(request, f"已登记基数变动，自 {month} 月起执行。")
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in exc.message_dict.values() for m in ms))
    return redirect(url)


# --- bills -----------------------------------------------------------------------------------

BILL_SORT = {
    "month": "month_index",
    "employee_no": "person__employee_no",
    "name": "person__name",
    "org": "party_org__path",
    "amount": "amount_fen",
    "status": "status",
}


@require_GET
def bill_list_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesBill, "export")
    filters = selectors.list_filters(request.GET)
    qs = selectors.bill_list(user=request.user, **filters)
    listing = paginate_sorted(request, qs, sortable=BILL_SORT, default_sort="-month")
    context = _base_context(request, "党费月度账单", filters)
    context.update(
        {
            "listing": listing,
            "export_key": "bills",
            "can_generate": has_permission(request.user, DuesBill, "add"),
            "can_pay": has_permission(request.user, DuesPayment, "add"),
            "today": timezone.localdate(),
        }
    )
    if _htmx_target(request) == "dues-table":
        return render(request, "dues/bill_list.html#dues-table", context)
    return render(request, "dues/bill_list.html", context)


@require_POST
def bill_generate(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesBill, "add")
    try:
        year, month = int(request.POST.get("year", "")), int(request.POST.get("month", ""))
    except ValueError:
        messages.error(request, "请选择年份和月份。")
        return redirect("dues:bills")
    org = None
    if request.POST.get("org"):
        org = (
            restrict(PartyOrg.objects.all(), request.user, "view")
            .filter(pk=str(request.POST.get("org")))
            .first()
        )
        if org is None:
            raise Http404
    try:
        result = services.bills_generate(actor=request.user, year=year, month=month, org=org)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("dues:bills")
    text = f"{year}年{month}月账单：新生成 {result['created']} 条，已存在 {result['existing']} 条"
    if result["missing"]:
        text += f"；{result['missing']} 名党员尚未核定 {year} 年度党费基数，未生成"
    messages.success(request, text + "。")
    return redirect(f"{reverse('dues:bills')}?year={year}&month={month}")


# --- payments --------------------------------------------------------------------------------

PAY_SORT = {
    "paid_on": "paid_on",
    "employee_no": "person__employee_no",
    "name": "person__name",
    "org": "party_org__path",
    "amount": "amount_fen",
}


@require_GET
def payment_list_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesPayment, "export")
    filters = selectors.list_filters(request.GET)
    qs = selectors.payment_list(user=request.user, **filters)
    listing = paginate_sorted(request, qs, sortable=PAY_SORT, default_sort="-paid_on")
    context = _base_context(request, "党费交纳记录", filters)
    context.update(
        {
            "listing": listing,
            "export_key": "payments",
            "kinds": [*DuesPayment.Kind.choices, ("proxy", "代交")],
        }
    )
    if _htmx_target(request) == "dues-table":
        return render(request, "dues/payment_list.html#dues-table", context)
    return render(request, "dues/payment_list.html", context)


@require_GET
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, DuesPayment, "view")
    payment = selectors.payment_get(user=request.user, pk=pk)
    if payment is None:
        raise Http404
    return render(
        request,
        "dues/payment_detail.html",
        {
            "page_title": "交纳记录",
            "breadcrumbs": _crumbs("交纳记录"),
            "payment": payment,
            "bills": sorted(payment.bills.all(), key=lambda b: b.month_index),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def payment_new(request: HttpRequest, person_id: int) -> HttpResponse:
    """交费登记 for one member: open months to tick, payment kind, proxy, approval, voluntary."""
    _require(request.user, DuesPayment, "add")
    person = selectors.person_for_dues(user=request.user, pk=person_id)
    if person is None:
        raise Http404
    today = timezone.localdate()
    open_bills = list(
        selectors.bill_list(user=request.user, person=person.pk, status="unpaid").order_by(
            "month_index"
        )
    )
    current = month_index(today.year, today.month)
    quarter_end = month_index(today.year, ((today.month - 1) // 3 + 1) * 3)
    billed = {b.month_index for b in open_bills} | set(
        DuesBill.objects.filter(person=person, month_index__gt=current).values_list(
            "month_index", flat=True
        )
    )
    choices = [(b.month_index, b.label, fmt_fen(b.amount_fen)) for b in open_bills]
    choices += [
        (m, month_label(m), "") for m in range(current + 1, quarter_end + 1) if m not in billed
    ]
    errors: dict[str, str] = {}
    form: dict[str, Any] = {"paid_on": today.isoformat(), "kind": "monthly", "months": []}
    if request.method == "POST":
        post = request.POST
        form = {k: post.get(k, "") for k in post}
        form["months"] = post.getlist("months")
        try:
            paid_on = dt.date.fromisoformat(str(post.get("paid_on", "")))
        except ValueError:
            errors["paid_on"] = "日期格式应为 YYYY-MM-DD。"
        try:
            voluntary = parse_yuan(post.get("voluntary") or "0")
        except MoneyError as exc:
            errors["voluntary"] = str(exc)
        try:
            months = [int(m) for m in post.getlist("months")]
        except ValueError:
            errors["months"] = "月份不正确。"
        if not errors:
            try:
                payment = services.payment_record(
                    actor=request.user,
                    person_id=person.pk,
                    months=months,
                    paid_on=paid_on,
                    kind=str(post.get("kind", "")),
                    is_proxy=post.get("is_proxy") == "1",
                    payer_name=str(post.get("payer_name", "")),
                    approval_note=str(post.get("approval_note", "")),
                    voluntary_fen=voluntary,
                    note=str(post.get("note", "")),
                )
                messages.success(
                    request, f"已登记 {person.name} 交纳党费 {fmt_fen(payment.amount_fen)} 元。"
                )
                return redirect("dues:payment_detail", pk=payment.pk)
            except ValidationError as exc:
                for key, msgs in exc.message_dict.items():
                    errors[key] = "；".join(msgs)
    context = {
        "page_title": f"交费登记：{person.name}",
        "breadcrumbs": _crumbs("交费登记", ("党费月度账单", reverse("dues:bills"))),
        "person": person,
        "choices": choices,
        "form": form,
        "selected": {str(m) for m in form.get("months", [])},
        "errors": errors,
        "kinds": DuesPayment.Kind.choices,
        "paid_up": month_label(selectors.paid_up_months([person.pk]).get(person.pk)),
        "makeup_limit": rule("dues.makeup_max_months"),
        "centre_threshold": fmt_fen(int(rule("dues.centre_single_payment_fen"))),
    }
    return render(request, "dues/payment_form.html", context, status=422 if errors else 200)


# --- arrears ---------------------------------------------------------------------------------


@require_GET
def arrears_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesBill, "export")
    filters = selectors.list_filters(request.GET)
    try:
        min_months = max(1, min(int(request.GET.get("min_months", "1")), 120))
    except ValueError:
        min_months = 1
    filters["min_months"] = min_months
    qs = selectors.arrears_list(user=request.user, **filters)
    listing = paginate_sorted(
        request,
        qs,
        sortable={"months": "months", "amount": "amount_fen", "employee_no": "person__employee_no"},
        default_sort="-months",
    )
    rows = list(listing.object_list)
    paid_up = selectors.paid_up_months([r["person_id"] for r in rows])
    for row in rows:
        row["paid_up"] = month_label(paid_up.get(row["person_id"]))
        row["first"] = month_label(row["first_month"])
    context = _base_context(request, "党费欠缴名单", filters)
    context.update(
        {
            "listing": listing,
            "rows": rows,
            "export_key": "arrears",
            "can_pay": has_permission(request.user, DuesPayment, "add"),
        }
    )
    if _htmx_target(request) == "dues-table":
        return render(request, "dues/arrears.html#dues-table", context)
    return render(request, "dues/arrears.html", context)


# --- disclosure ------------------------------------------------------------------------------


@never_cache
@require_GET
def disclosure_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesPayment, "export")
    filters = selectors.list_filters(request.GET)
    orgs = selectors.disclosure_orgs(user=request.user)
    org = (
        orgs.filter(pk=filters["org"]).first() if filters["org"] else orgs.order_by("path").first()
    )
    if filters["org"] and org is None:
        raise Http404
    context = _base_context(request, "党费收支公开", filters)
    if org is not None:
        context["report"] = selectors.disclosure(user=request.user, org=org, year=filters["year"])
    context.update(
        {
            "export_key": "disclosure",
            "can_spend": has_permission(request.user, DuesExpense, "add"),
            "expense_kinds": DuesExpense.Kind.choices,
            "today": timezone.localdate(),
        }
    )
    return render(request, "dues/disclosure.html", context)


@require_POST
def expense_new(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesExpense, "add")
    post = request.POST
    try:
        org_id = int(post.get("org", "0"))
        spent_on = dt.date.fromisoformat(str(post.get("spent_on", "")))
        amount = parse_yuan(post.get("amount"))
    except (ValueError, MoneyError) as exc:
        messages.error(request, str(exc) if isinstance(exc, MoneyError) else "日期或组织不正确。")
        return redirect(reverse("dues:disclosure") + f"?org={post.get('org', '')}")
    try:
        services.expense_record(
            actor=request.user,
            org_id=org_id,
            spent_on=spent_on,
            kind=str(post.get("kind", "")),
            amount_fen=amount,
            purpose=str(post.get("purpose", "")),
        )
        messages.success(request, "已登记支出。")
    except PermissionDenied as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, "；".join(m for ms in exc.message_dict.values() for m in ms))
    return redirect(reverse("dues:disclosure") + f"?org={org_id}&year={spent_on.year}")


# --- my dues ---------------------------------------------------------------------------------


@require_GET
def my_dues_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesBill, "view")
    data = selectors.my_dues(user=request.user)
    context = {
        "page_title": "我的党费",
        "breadcrumbs": _crumbs("我的党费"),
        "data": data,
        "paid_up": month_label(data["paid_up"]) if data else "—",
    }
    return render(request, "dues/mine.html", context)


# --- rules -----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def rules_view(request: HttpRequest) -> HttpResponse:
    _require(request.user, DuesBracket, "view")
    can_edit = has_permission(request.user, DuesBracket, "change")
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("您没有修改党费规则的权限。")
        table, pk = request.POST.get("table"), request.POST.get("pk", "")
        try:
            if table == "bracket":
                upper = request.POST.get("upper", "").strip()
                from decimal import Decimal, InvalidOperation

                try:
                    rate = Decimal(request.POST.get("rate_percent", "")) / 100
                except InvalidOperation as exc:
                    raise ValidationError({"rate": ["比例格式不正确。"]}) from exc
                services.bracket_update(
                    actor=request.user,
                    bracket_id=get_object_or_404(DuesBracket, pk=pk).pk,
                    upper_fen=parse_yuan(upper) if upper else None,
                    rate=rate,
                )
            elif table == "category":
                services.category_update(
                    actor=request.user,
                    category_id=get_object_or_404(MemberCategory, pk=pk).pk,
                    fixed_min_fen=parse_yuan(request.POST.get("fixed_min") or "0"),
                    fixed_max_fen=parse_yuan(request.POST.get("fixed_max") or "0"),
                    active=request.POST.get("active") == "1",
                )
            elif table == "component":
                services.component_update(
                    actor=request.user,
                    component_id=get_object_or_404(IncomeComponent, pk=pk).pk,
                    sign=int(request.POST.get("sign", "1")),
                    active=request.POST.get("active") == "1",
                )
            else:
                raise Http404
            messages.success(request, "规则已保存。")
        except MoneyError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        except ValueError:
            messages.error(request, "输入不正确。")
        return redirect("dues:rules")
    context = {
        "page_title": "党费规则",
        "breadcrumbs": _crumbs("党费规则"),
        "categories": MemberCategory.objects.all(),
        "components": IncomeComponent.objects.all(),
        "brackets": DuesBracket.objects.all(),
        "can_edit": can_edit,
        "other_rules": [
            ("补交最长月数", rule("dues.makeup_max_months"), "月"),
            (
                "一次性自愿交纳全额上缴中央的起点",
                fmt_fen(int(rule("dues.centre_single_payment_fen"))),
                "元",
            ),
            ("欠缴提醒月数", rule("dues.arrears_reminder_months"), "月"),
        ],
    }
    return render(request, "dues/rules.html", context)


# --- exports ---------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def export_view(request: HttpRequest, key: str) -> HttpResponse:
    spec = exporting.EXPORTS.get(key)
    if spec is None:
        raise Http404
    _require(request.user, spec.model, "export")
    params = exporting.export_params(request.POST if request.method == "POST" else request.GET)
    if request.method == "POST":
        with transaction.atomic():
            job = export_start(user=request.user, key=spec.key, params=params)
        return redirect("dues:export_job", uid=job.uid)
    context = {
        "page_title": f"导出{spec.title}",
        "breadcrumbs": _crumbs("导出"),
        "title": spec.title,
        "params": params,
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "dues/export.html", context)


@never_cache
@require_GET
def export_job(request: HttpRequest, uid: str) -> HttpResponse:
    job = get_object_or_404(Job, uid=uid, owner=request.user, kind__startswith="export:dues.")
    context = {
        "page_title": "导出进度",
        "breadcrumbs": _crumbs("导出进度"),
        "job": job,
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "dues/export_job.html", context)
