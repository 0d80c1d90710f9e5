"""Round pages: list, create, detail (timeline, progress per branch and category, assignments,
spot checks, objections), advance, assignments, spot checks and objection handling.

No permission → 403; a round out of scope → 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.assessment import forms as f
from dangjian.assessment.models import (
    AssessmentRound,
    Category,
    Criterion,
    Objection,
    ScorerAssignment,
    SpotCheck,
)
from dangjian.assessment.selectors import rounds as sel
from dangjian.assessment.services import rounds as svc
from dangjian.core.exports import export_start
from dangjian.core.listing import paginate_sorted
from dangjian.core.scope import has_permission

State = AssessmentRound.State


def _require(user: Any, model: type[models.Model], action: str) -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有访问考核轮次的权限。")


def _round_or_404(request: HttpRequest, pk: int, action: str = "view") -> AssessmentRound:
    _require(request.user, AssessmentRound, action)
    rnd = sel.round_get(user=request.user, pk=pk, action=action)
    if rnd is None:
        raise Http404
    return rnd


def _crumbs(rnd: AssessmentRound | None = None) -> list[tuple[str, str]]:
    crumbs = [("考核轮次", reverse("assessment:round_list"))]
    if rnd is not None:
        crumbs.append((rnd.name, reverse("assessment:round_detail", args=[rnd.pk])))
    return crumbs


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, "；".join(exc.messages))


LIST_SORT = {"period": "period_start", "name": "name", "state": "state"}


@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, AssessmentRound, "view")
    filters = {k: str(request.GET.get(k, "")).strip()[:40] for k in ("q", "year", "state")}
    listing = paginate_sorted(
        request,
        sel.round_list(user=request.user, **filters),
        sortable=LIST_SORT,
        default_sort="-period",
    )
    context = {
        "listing": listing,
        "rows": list(listing.object_list),
        "filters": filters,
        "states": State.choices,
        "can_add": has_permission(request.user, AssessmentRound, "add"),
        "can_export": sel.may_export_rounds(request.user),
        "page_title": "考核轮次",
        "breadcrumbs": [("考核轮次", "")],
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "round-results":
        return render(request, "assessment/rounds/list.html#results", context)
    return render(request, "assessment/rounds/list.html", context)


@require_POST
def round_export(request: HttpRequest) -> HttpResponse:
    if not sel.may_export_rounds(request.user):
        raise PermissionDenied("您没有导出考核轮次的权限。")
    params = {k: str(request.POST.get(k, "")).strip()[:40] for k in ("q", "year", "state")}
    job = export_start(user=request.user, key="assessment.rounds", params=params)
    return render(request, "core/job.html#job-progress", {"job": job})


@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, AssessmentRound, "add")
    today = timezone.localdate()
    initial = {"year": today.year, "quarter": (today.month - 1) // 3 + 1, "kind": "quarterly"}
    form = f.RoundForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rnd = svc.round_create(
                actor=request.user,
                scheme_id=data["scheme"].pk,
                name=data["name"],
                kind=data["kind"],
                year=data["year"],
                quarter=data["quarter"],
                period_start=data["period_start"],
                period_end=data["period_end"],
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                branch_ids=[b.pk for b in data["branches"]],
                apply_quotas=data["apply_quotas"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, "考核轮次已创建。")
            return redirect("assessment:round_detail", rnd.pk)
    if form.is_bound:
        form.mark_invalid()
    return render(
        request,
        "orgs/form.html",
        {
            "form": form,
            "cancel_url": reverse("assessment:round_list"),
            "page_title": "发起考核",
            "breadcrumbs": [*_crumbs(), ("发起考核", "")],
            "submit": "创建",
        },
        status=400 if form.is_bound else 200,
    )


@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round_or_404(request, pk)
    user = request.user
    states = list(State)
    index = states.index(State(rnd.state))
    next_state = states[index + 1] if index + 1 < len(states) else None
    can_manage = has_permission(user, AssessmentRound, "change") and (
        sel.round_get(user=user, pk=pk, action="change") is not None
    )
    context = {
        "round": rnd,
        "timeline": [(s, i < index, i == index) for i, s in enumerate(states)],
        "next_state": next_state,
        "progress": sel.round_progress(rnd, user),
        **sel.round_related(rnd, user),
        "can_manage": can_manage,
        "recompute_states": [str(s) for s in svc.RECOMPUTE_STATES],
        "categories": Category.objects.filter(scheme=rnd.scheme_id) if can_manage else [],
        "criteria": Criterion.objects.filter(category__scheme=rnd.scheme_id).select_related(
            "category"
        )
        if can_manage
        else [],
        "spot_methods": SpotCheck.Method.choices,
        "page_title": rnd.name,
        "breadcrumbs": [*_crumbs(), (rnd.name, "")],
    }
    return render(request, "assessment/rounds/detail.html", context)


@require_POST
def round_advance(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round_or_404(request, pk, "change")
    to_state = str(request.POST.get("to_state", ""))
    try:
        rnd = svc.round_advance(actor=request.user, round_id=rnd.pk, to_state=to_state)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, f"已进入“{rnd.get_state_display()}”阶段。")
    return redirect("assessment:round_detail", pk)


@require_POST
def round_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round_or_404(request, pk, "change")
    try:
        svc.round_recompute(actor=request.user, round_id=rnd.pk)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, "已按系统记录重新计算自动指标和总分。")
    return redirect("assessment:round_detail", pk)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


@require_POST
def assignment_add(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, ScorerAssignment, "add")
    rnd = _round_or_404(request, pk, "change")
    from django.contrib.auth import get_user_model

    username = str(request.POST.get("username", "")).strip()
    target = get_user_model().objects.filter(username=username).first()
    try:
        if target is None:
            raise ValidationError("找不到该用户名。")
        svc.assignment_add(
            actor=request.user,
            round_id=rnd.pk,
            user_id=target.pk,
            branch_id=_int(request.POST.get("branch")),
            category_id=_int(request.POST.get("category")),
            criterion_id=_int(request.POST.get("criterion")),
            note=str(request.POST.get("note", "")),
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, "评分分工已添加。")
    return redirect("assessment:round_detail", pk)


@require_POST
def assignment_remove(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponse:
    _require(request.user, ScorerAssignment, "change")
    _round_or_404(request, pk, "change")
    try:
        svc.assignment_remove(actor=request.user, assignment_id=assignment_pk)
    except ValidationError as exc:
        _error(request, exc)
    return redirect("assessment:round_detail", pk)


@require_http_methods(["GET", "POST"])
def spot_checks(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, SpotCheck, "view")
    rnd = _round_or_404(request, pk)
    if request.method == "POST":
        _require(request.user, SpotCheck, "add")
        _round_or_404(request, pk, "change")
        try:
            rows = svc.spot_check_select(
                actor=request.user,
                round_id=rnd.pk,
                method=str(request.POST.get("method", "")),
                count_per_stratum=_int(request.POST.get("count")) or 1,
                seed=str(request.POST.get("seed", "")).strip()[:40] or None,
                sheet_ids=[int(i) for i in request.POST.getlist("sheets") if i.isdigit()],
                reason=str(request.POST.get("reason", "")),
            )
        except ValidationError as exc:
            _error(request, exc)
        else:
            messages.success(request, f"已选取 {len(rows)} 个支部进行实地检查。")
        return redirect("assessment:spot_checks", pk)
    related = sel.round_related(rnd, request.user)
    taken = {s.sheet_id for s in related["spot_checks"]}
    context = {
        "round": rnd,
        "spot_checks": related["spot_checks"],
        "free_sheets": [
            p.sheet for p in sel.round_progress(rnd, request.user) if p.sheet.pk not in taken
        ],
        "methods": SpotCheck.Method.choices,
        "can_add": has_permission(request.user, SpotCheck, "add")
        and sel.round_get(user=request.user, pk=pk, action="change") is not None,
        "can_change": has_permission(request.user, SpotCheck, "change"),
        "page_title": "选点检查",
        "breadcrumbs": [*_crumbs(rnd), ("选点检查", "")],
    }
    return render(request, "assessment/rounds/spot_checks.html", context)


@require_POST
def spot_check_edit(request: HttpRequest, pk: int, spot_pk: int) -> HttpResponse:
    _require(request.user, SpotCheck, "change")
    _round_or_404(request, pk)
    visited = str(request.POST.get("visited_on", "")).strip()
    try:
        svc.spot_check_update(
            actor=request.user,
            spot_check_id=spot_pk,
            visited_on=dt.date.fromisoformat(visited) if visited else None,
            findings=str(request.POST.get("findings", "")),
            is_model_site=request.POST.get("is_model_site") == "on",
        )
    except ValueError:
        messages.error(request, "检查日期格式无效。")
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, "检查情况已保存。")
    return redirect("assessment:spot_checks", pk)


@require_POST
def objection_resolve(request: HttpRequest, pk: int, objection_pk: int) -> HttpResponse:
    _require(request.user, Objection, "change")
    _round_or_404(request, pk)
    try:
        svc.objection_resolve(
            actor=request.user,
            objection_id=objection_pk,
            upheld=request.POST.get("decision") == "upheld",
            resolution=str(request.POST.get("resolution", "")),
        )
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, "异议已处理。")
    return redirect("assessment:round_detail", pk)


urlpatterns: list[URLPattern] = [
    path("rounds/", round_list, name="round_list"),
    path("rounds/new/", round_create, name="round_create"),
    path("rounds/export/", round_export, name="round_export"),
    path("rounds/<int:pk>/", round_detail, name="round_detail"),
    path("rounds/<int:pk>/advance/", round_advance, name="round_advance"),
    path("rounds/<int:pk>/recompute/", round_recompute, name="round_recompute"),
    path("rounds/<int:pk>/assignments/", assignment_add, name="assignment_add"),
    path(
        "rounds/<int:pk>/assignments/<int:assignment_pk>/remove/",
        assignment_remove,
        name="assignment_remove",
    ),
    path("rounds/<int:pk>/spot-checks/", spot_checks, name="spot_checks"),
    path("rounds/<int:pk>/spot-checks/<int:spot_pk>/", spot_check_edit, name="spot_check_edit"),
    path(
        "rounds/<int:pk>/objections/<int:objection_pk>/resolve/",
        objection_resolve,
        name="objection_resolve",
    ),
]
