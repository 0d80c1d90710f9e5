"""Scheme pages (考核方案): list, detail by category, draft editing with HTMX inline forms,
publish (showing every validation problem), new version, delete, Excel export of the criteria.

Views only parse input, call selectors/services and render. No permission at all → 403; a
scheme (or category, criterion) outside the user's scope → 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.assessment.formulas import parse_formula
from dangjian.assessment.models import (
    AssessmentScheme,
    Category,
    Criterion,
    DeductionItem,
    EvidenceMethod,
    ScoringMethod,
)
from dangjian.assessment.selectors import schemes as selectors
from dangjian.assessment.services import schemes as services
from dangjian.core.exports import export_start
from dangjian.core.listing import paginate_sorted
from dangjian.core.registries import indicators
from dangjian.core.scope import has_permission, org_paths_for, restrict
from dangjian.orgs.models import Department, PartyOrg

SECTION = "考核评价"
SORTABLE = {"year": "year", "name": "name", "state": "state", "version": "version"}


def _require(user: Any) -> None:
    if not selectors.can_view(user):
        raise PermissionDenied("您没有查看考核方案的权限。")


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(SECTION, None), ("考核方案", reverse("assessment:scheme_list")), *extra]


def _scheme_or_404(user: Any, pk: int, action: str = "view") -> AssessmentScheme:
    scheme = selectors.scheme_get(user=user, pk=pk, action=action)
    if scheme is None:
        raise Http404
    return scheme


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Field errors; errors not tied to a field under "all" (templates cannot read "__all__")."""
    if hasattr(exc, "error_dict"):
        found = {k: list(v) for k, v in exc.message_dict.items()}
        if "__all__" in found:
            found["all"] = found.pop("__all__")
        return found
    return {"all": list(exc.messages)}


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


@require_GET
def scheme_list(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    year = _int(request.GET.get("year"))
    q = request.GET.get("q", "").strip()[:50]
    state = request.GET.get("state", "")
    state = state if state in AssessmentScheme.State.values else ""
    qs = selectors.scheme_list(user=request.user, q=q, year=year, state=state)
    listing = paginate_sorted(request, qs, sortable=SORTABLE, default_sort="-year")
    context = {
        "page_title": "考核方案",
        "breadcrumbs": _crumbs(),
        "listing": listing,
        "filters": {"year": year or "", "q": q, "state": state},
        "states": AssessmentScheme.State.choices,
        "can_add": has_permission(request.user, AssessmentScheme, "add"),
        "this_year": timezone.localdate().year,
    }
    if _htmx(request) and request.htmx.target == "scheme-table":  # type: ignore[attr-defined]
        return render(request, "assessment/schemes/list.html#scheme-table", context)
    return render(request, "assessment/schemes/list.html", context)


def _committees(user: Any) -> list[PartyOrg]:
    qs = PartyOrg.objects.filter(kind__in=["committee", "general_branch"]).order_by("path")
    if not has_permission(user, AssessmentScheme, "add"):
        return []
    roots = list(org_paths_for(user, AssessmentScheme, "add"))
    if roots:
        from django.db.models import Q

        cond = Q()
        for root in roots:
            cond |= Q(path__startswith=root)
        qs = qs.filter(cond)
    return list(qs[:200])


@require_http_methods(["GET", "POST"])
def scheme_create(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, AssessmentScheme, "add"):
        raise PermissionDenied("您没有制定考核方案的权限。")
    committees = _committees(request.user)
    values = {
        "party_org": request.POST.get("party_org", str(committees[0].pk) if committees else ""),
        "name": request.POST.get("name", ""),
        "year": request.POST.get("year", str(timezone.localdate().year)),
        "org_kind": request.POST.get("org_kind", PartyOrg.Kind.BRANCH),
        "bonus_cap": request.POST.get("bonus_cap", "0"),
        "description": request.POST.get("description", ""),
        "standard": request.POST.get("standard", ""),
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        org_id, year = _int(values["party_org"]), _int(values["year"])
        if org_id not in {c.pk for c in committees}:
            errors["party_org"] = ["请选择制定方案的党委。"]
        if year is None:
            errors["year"] = ["请填写年度。"]
        if not errors:
            try:
                if values["standard"]:
                    scheme = services.scheme_load_standard(
                        actor=request.user,
                        party_org=PartyOrg.objects.get(pk=org_id or 0),
                        year=year or 0,
                        publish=False,
                    )
                else:
                    scheme = services.scheme_create(
                        actor=request.user,
                        party_org_id=org_id or 0,
                        name=values["name"],
                        year=year or 0,
                        org_kind=values["org_kind"],
                        bonus_cap=values["bonus_cap"] or "0",
                        description=values["description"],
                    )
            except ValidationError as exc:
                errors = _field_errors(exc)
            else:
                messages.success(request, "方案草稿已创建，请添加大项和细则后发布。")
                return redirect("assessment:scheme_detail", pk=scheme.pk)
    context = {
        "page_title": "新建考核方案",
        "breadcrumbs": _crumbs(("新建", None)),
        "committees": committees,
        "kinds": PartyOrg.Kind.choices,
        "values": values,
        "errors": errors,
    }
    return render(request, "assessment/schemes/create.html", context, status=400 if errors else 200)


def _detail_context(request: HttpRequest, scheme: AssessmentScheme) -> dict[str, Any]:
    user = request.user
    can_change = (
        not scheme.is_frozen
        and selectors.scheme_get(user=user, pk=scheme.pk, action="change") is not None
    )
    return {
        "page_title": str(scheme),
        "breadcrumbs": _crumbs((str(scheme), None)),
        "scheme": scheme,
        "blocks": selectors.scheme_tree(user=user, scheme=scheme),
        "can_change": can_change,
        "can_add_category": can_change and has_permission(user, Category, "add"),
        "can_edit_criteria": can_change and has_permission(user, Criterion, "change"),
        "can_new_version": scheme.is_frozen
        and has_permission(user, AssessmentScheme, "add")
        and selectors.scheme_get(user=user, pk=scheme.pk, action="change") is not None,
        "can_export": has_permission(user, AssessmentScheme, "view"),
        "problems": services.scheme_problems(scheme) if can_change else [],
    }


@require_GET
def scheme_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user)
    scheme = _scheme_or_404(request.user, pk)
    return render(request, "assessment/schemes/detail.html", _detail_context(request, scheme))


@require_http_methods(["GET", "POST"])
def scheme_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_permission(request.user, AssessmentScheme, "change"):
        raise PermissionDenied("您没有维护考核方案的权限。")
    scheme = _scheme_or_404(request.user, pk, "change")
    values = {
        "name": request.POST.get("name", scheme.name),
        "bonus_cap": request.POST.get("bonus_cap", str(scheme.bonus_cap)),
        "description": request.POST.get("description", scheme.description),
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.scheme_update(actor=request.user, scheme_id=scheme.pk, **values)
        except ValidationError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, "方案信息已保存。")
            return redirect("assessment:scheme_detail", pk=scheme.pk)
    context = {
        "page_title": "修改方案信息",
        "breadcrumbs": _crumbs((str(scheme), reverse("assessment:scheme_detail", args=[pk]))),
        "scheme": scheme,
        "values": values,
        "errors": errors,
        "frozen": scheme.is_frozen,
    }
    return render(request, "assessment/schemes/edit.html", context, status=400 if errors else 200)


def _post_action(request: HttpRequest, pk: int, func: Any, ok: str) -> HttpResponse:
    if not has_permission(request.user, AssessmentScheme, "change"):
        raise PermissionDenied("您没有维护考核方案的权限。")
    scheme = _scheme_or_404(request.user, pk, "change")
    try:
        result = func(actor=request.user, scheme_id=scheme.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("assessment:scheme_detail", pk=pk)
    messages.success(request, ok)
    if isinstance(result, AssessmentScheme):
        return redirect("assessment:scheme_detail", pk=result.pk)
    return redirect("assessment:scheme_list")


@require_POST
def scheme_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(request, pk, services.scheme_publish, "方案已发布并冻结。")


@require_POST
def scheme_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_permission(request.user, AssessmentScheme, "add"):
        raise PermissionDenied("您没有制定考核方案的权限。")
    return _post_action(request, pk, services.scheme_new_version, "已生成新版本草稿。")


@require_POST
def scheme_delete(request: HttpRequest, pk: int) -> HttpResponse:
    return _post_action(request, pk, services.scheme_delete, "方案草稿已删除。")


@require_POST
def scheme_export(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_permission(request.user, AssessmentScheme, "view"):
        raise PermissionDenied("您没有导出考核方案的权限。")
    scheme = _scheme_or_404(request.user, pk)
    with transaction.atomic():
        job = export_start(
            user=request.user, key="assessment.scheme_criteria", params={"scheme": scheme.pk}
        )
    return redirect("core:job_status", uid=job.uid)


# --- inline forms: categories, criteria, deduction items ----------------------------------


def _render_form(
    request: HttpRequest, template: str, context: dict[str, Any], errors: dict[str, Any]
) -> HttpResponse:
    if _htmx(request):
        # HTMX swaps 2xx only: the fragment with the errors answers 200
        return render(request, f"{template}#form", context)
    context.setdefault("page_title", "编辑考核方案")
    return render(request, template, context, status=400 if errors else 200)


def _category_in(user: Any, scheme: AssessmentScheme, pk: int, action: str) -> Category:
    category = restrict(Category.objects.filter(pk=pk, scheme=scheme), user, action).first()
    if category is None:
        raise Http404
    return category


@require_http_methods(["GET", "POST"])
def category_form(request: HttpRequest, pk: int, category_pk: int | None = None) -> HttpResponse:
    _require(request.user)
    action = "change" if category_pk else "add"
    if not has_permission(request.user, Category, action):
        raise PermissionDenied("您没有维护考核大项的权限。")
    scheme = _scheme_or_404(request.user, pk)
    category = _category_in(request.user, scheme, category_pk, "change") if category_pk else None
    values = {
        "code": request.POST.get("code", category.code if category else ""),
        "name": request.POST.get("name", category.name if category else ""),
        "domain": request.POST.get("domain", category.domain if category else ""),
        "max_points": request.POST.get("max_points", str(category.max_points) if category else ""),
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            services.category_save(
                actor=request.user,
                scheme_id=scheme.pk,
                category_id=category.pk if category else None,
                code=values["code"],
                name=values["name"],
                domain=values["domain"],
                max_points=values["max_points"],
            )
        except ValidationError as exc:
            errors = _field_errors(exc)
        else:
            messages.success(request, "考核大项已保存。")
            return redirect("assessment:scheme_detail", pk=scheme.pk)
    context = {
        "scheme": scheme,
        "category": category,
        "values": values,
        "errors": errors,
        "domains": Department.Domain.choices,
        "breadcrumbs": _crumbs((str(scheme), reverse("assessment:scheme_detail", args=[pk]))),
    }
    return _render_form(request, "assessment/schemes/category_form.html", context, errors)


@require_POST
def category_delete(request: HttpRequest, pk: int, category_pk: int) -> HttpResponse:
    _require(request.user)
    scheme = _scheme_or_404(request.user, pk)
    category = _category_in(request.user, scheme, category_pk, "change")
    try:
        services.category_delete(actor=request.user, category_id=category.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"已删除大项“{category.name}”及其细则。")
    return redirect("assessment:scheme_detail", pk=scheme.pk)


def _criterion_in(user: Any, scheme: AssessmentScheme, pk: int, action: str) -> Criterion:
    criterion = (
        restrict(Criterion.objects.filter(pk=pk, category__scheme=scheme), user, action)
        .select_related("category")
        .first()
    )
    if criterion is None:
        raise Http404
    return criterion


def _criterion_values(request: HttpRequest, c: Criterion | None) -> dict[str, Any]:
    post = request.POST if request.method == "POST" else None
    import json

    def get(name: str, default: Any) -> Any:
        return post.get(name, "") if post is not None else default

    return {
        "category": get("category", str(c.category_id) if c else ""),
        "code": get("code", c.code if c else ""),
        "title": get("title", c.title if c else ""),
        "standard": get("standard", c.standard if c else ""),
        "max_points": get("max_points", str(c.max_points) if c else ""),
        "method": get("method", c.method if c else ScoringMethod.MANUAL),
        "evidence_required": get("evidence_required", c.evidence_required if c else ""),
        "evidence_methods": (
            post.getlist("evidence_methods")
            if post is not None
            else (list(c.evidence_methods) if c else [])
        ),
        "is_veto": bool(post.get("is_veto")) if post is not None else bool(c and c.is_veto),
        "is_bonus": bool(post.get("is_bonus")) if post is not None else bool(c and c.is_bonus),
        "indicator_key": get("indicator_key", c.indicator_key if c else ""),
        "survey_audience": get("survey_audience", c.survey_audience if c else ""),
        "formula": get(
            "formula", json.dumps(c.formula, ensure_ascii=False) if c and c.formula else ""
        ),
    }


@require_http_methods(["GET", "POST"])
def criterion_form(
    request: HttpRequest, pk: int, category_pk: int | None = None, criterion_pk: int | None = None
) -> HttpResponse:
    _require(request.user)
    action = "change" if criterion_pk else "add"
    if not has_permission(request.user, Criterion, action):
        raise PermissionDenied("您没有维护考核细则的权限。")
    scheme = _scheme_or_404(request.user, pk)
    criterion = (
        _criterion_in(request.user, scheme, criterion_pk, "change") if criterion_pk else None
    )
    category = (
        criterion.category
        if criterion
        else _category_in(request.user, scheme, category_pk or 0, "view")
    )
    values = _criterion_values(request, criterion)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        target = _int(values["category"]) or category.pk
        try:
            formula = parse_formula(values["formula"])
        except ValidationError as exc:
            errors = {"formula": list(exc.messages)}
            formula = {}
        if not errors:
            try:
                services.criterion_save(
                    actor=request.user,
                    category_id=target,
                    criterion_id=criterion.pk if criterion else None,
                    code=values["code"],
                    title=values["title"],
                    standard=values["standard"],
                    max_points=values["max_points"] or "0",
                    method=values["method"],
                    evidence_required=values["evidence_required"],
                    evidence_methods=values["evidence_methods"],
                    is_veto=values["is_veto"],
                    is_bonus=values["is_bonus"],
                    indicator_key=values["indicator_key"],
                    survey_audience=values["survey_audience"],
                    formula=formula,
                )
            except ValidationError as exc:
                errors = _field_errors(exc)
            else:
                messages.success(request, "考核细则已保存。")
                return redirect("assessment:scheme_detail", pk=scheme.pk)
    registry = indicators()
    context = {
        "scheme": scheme,
        "category": category,
        "criterion": criterion,
        "values": values,
        "errors": errors,
        "categories": restrict(Category.objects.filter(scheme=scheme), request.user, "view"),
        "methods": ScoringMethod.choices,
        "evidence_choices": EvidenceMethod.choices,
        "indicator_choices": sorted(
            ((k, f"{i.title}（{i.unit}）" if i.unit else i.title) for k, i in registry.items()),
            key=lambda kv: kv[0],
        ),
        "audiences": list(services.SURVEY_AUDIENCES.items()),
        "breadcrumbs": _crumbs((str(scheme), reverse("assessment:scheme_detail", args=[pk]))),
    }
    return _render_form(request, "assessment/schemes/criterion_form.html", context, errors)


@require_POST
def criterion_delete(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    _require(request.user)
    scheme = _scheme_or_404(request.user, pk)
    criterion = _criterion_in(request.user, scheme, criterion_pk, "change")
    try:
        services.criterion_delete(actor=request.user, criterion_id=criterion.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"已删除细则“{criterion.code}”。")
    return redirect("assessment:scheme_detail", pk=scheme.pk)


@require_POST
def deduction_add(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    _require(request.user)
    if not has_permission(request.user, DeductionItem, "add"):
        raise PermissionDenied("您没有维护扣分情形的权限。")
    scheme = _scheme_or_404(request.user, pk)
    criterion = _criterion_in(request.user, scheme, criterion_pk, "change")
    try:
        services.deduction_save(
            actor=request.user,
            criterion_id=criterion.pk,
            text=request.POST.get("text", ""),
            points=request.POST.get("points", ""),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, f"细则 {criterion.code}：{message}")
    else:
        messages.success(request, "扣分情形已添加。")
    return redirect("assessment:scheme_detail", pk=scheme.pk)


@require_POST
def deduction_delete(request: HttpRequest, pk: int, deduction_pk: int) -> HttpResponse:
    _require(request.user)
    scheme = _scheme_or_404(request.user, pk)
    item = restrict(
        DeductionItem.objects.filter(pk=deduction_pk, criterion__category__scheme=scheme),
        request.user,
        "change",
    ).first()
    if item is None:
        raise Http404
    try:
        services.deduction_delete(actor=request.user, deduction_id=item.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "扣分情形已删除。")
    return redirect("assessment:scheme_detail", pk=scheme.pk)


urlpatterns = [
    path("schemes/", scheme_list, name="scheme_list"),
    path("schemes/new/", scheme_create, name="scheme_create"),
    path("schemes/<int:pk>/", scheme_detail, name="scheme_detail"),
    path("schemes/<int:pk>/edit/", scheme_edit, name="scheme_edit"),
    path("schemes/<int:pk>/publish/", scheme_publish, name="scheme_publish"),
    path("schemes/<int:pk>/new-version/", scheme_new_version, name="scheme_new_version"),
    path("schemes/<int:pk>/delete/", scheme_delete, name="scheme_delete"),
    path("schemes/<int:pk>/export/", scheme_export, name="scheme_export"),
    path("schemes/<int:pk>/categories/new/", category_form, name="scheme_category_add"),
    path(
        "schemes/<int:pk>/categories/<int:category_pk>/",
        category_form,
        name="scheme_category_edit",
    ),
    path(
        "schemes/<int:pk>/categories/<int:category_pk>/delete/",
        category_delete,
        name="scheme_category_delete",
    ),
    path(
        "schemes/<int:pk>/categories/<int:category_pk>/criteria/new/",
        criterion_form,
        name="scheme_criterion_add",
    ),
    path(
        "schemes/<int:pk>/criteria/<int:criterion_pk>/",
        criterion_form,
        name="scheme_criterion_edit",
    ),
    path(
        "schemes/<int:pk>/criteria/<int:criterion_pk>/delete/",
        criterion_delete,
        name="scheme_criterion_delete",
    ),
    path(
        "schemes/<int:pk>/criteria/<int:criterion_pk>/deductions/",
        deduction_add,
        name="scheme_deduction_add",
    ),
    path(
        "schemes/<int:pk>/deductions/<int:deduction_pk>/delete/",
        deduction_delete,
        name="scheme_deduction_delete",
    ),
]
