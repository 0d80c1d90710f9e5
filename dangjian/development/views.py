"""Member development pages: pipeline, committee overview, timeline, step forms, rules, export.

Views only parse input, call a selector or service, and render. The permission anywhere
(``has_permission``) or 403; the object through the scoped selector or 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core.exports import export_start
from dangjian.core.listing import paginate_sorted
from dangjian.core.models import Job
from dangjian.core.rules import rule
from dangjian.core.scope import has_permission
from dangjian.development import selectors, services
from dangjian.development.exporting import EXPORT_KEY, export_params, export_queryset
from dangjian.development.models import DevelopmentCase, IntervalUnit, Stage, StepRecord, StepRule
from dangjian.orgs.models import PartyOrg
from dangjian.orgs.selectors import org_list

SORTABLE = {
    "name": "person__name",
    "branch": "branch__path",
    "stage": "current_stage",
    "step": "last_step",
    "latest": "next_latest",
    "created": "created_at",
}
SECTION = ("发展党员", None)


def _require(user: Any, model: type, action: str) -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有访问发展党员信息的权限。")


def _case_or_404(user: Any, pk: int, action: str = "view") -> DevelopmentCase:
    case = selectors.case_get(user=user, pk=pk, action=action)
    if case is None:
        raise Http404
    return case


def _date(value: str | None, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationError({field: ["请填写有效日期（YYYY-MM-DD）。"]}) from None


def _optional_date(value: str | None, field: str) -> dt.date | None:
    return _date(value, field) if (value or "").strip() else None


def _optional_int(value: str | None, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({field: ["应为整数。"]}) from None
    if not 0 <= number <= 10_000:
        raise ValidationError({field: ["取值超出范围。"]})
    return number


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    """Field errors for the templates; form-wide ones under "form" (no leading underscores)."""
    found = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return {("form" if k == "__all__" else k): v for k, v in found.items()}


# --- lists ----------------------------------------------------------------------------------


@require_GET
def pipeline(request: HttpRequest) -> HttpResponse:
    """The branch view: everyone in the pipeline, stage columns, overdue highlighted."""
    _require(request.user, DevelopmentCase, "view")
    today = timezone.localdate()
    filters = selectors.case_filters(request.GET)
    qs = selectors.case_list(user=request.user, today=today, **filters)
    listing = paginate_sorted(request, qs, sortable=SORTABLE, default_sort="latest")
    stage_filters = {k: v for k, v in filters.items() if k != "stage"}
    context = {
        "page_title": "发展党员",
        "breadcrumbs": [SECTION, ("发展对象名册", None)],
        "listing": listing,
        "filters": filters,
        "today": today,
        "stages": selectors.stage_counts(
            selectors.case_list(user=request.user, today=today, **stage_filters), today
        ),
        "stage_choices": Stage.choices,
        "state_choices": DevelopmentCase.State.choices,
        "can_add": has_permission(request.user, DevelopmentCase, "add"),
        "can_export": has_permission(request.user, DevelopmentCase, "export"),
        "can_overview": _sees_branches(request.user),
        "branches": list(
            org_list(user=request.user)
            .filter(kind__in=[PartyOrg.Kind.BRANCH, PartyOrg.Kind.GENERAL_BRANCH])
            .only("pk", "name")
            .order_by("path")
        ),
    }
    if request.htmx and request.htmx.target == "case-table":  # type: ignore[attr-defined]
        return render(request, "development/pipeline.html#case-table", context)
    return render(request, "development/pipeline.html", context)


def _sees_branches(user: Any) -> bool:
    return has_permission(user, DevelopmentCase, "export") and has_permission(
        user, StepRule, "change"
    )


@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    """The committee's view across branches: active cases per stage, overdue per branch."""
    if not _sees_branches(request.user):
        raise PermissionDenied("仅党委及组织部门可查看全委发展党员概况。")
    rows = selectors.committee_overview(user=request.user)
    totals = [sum(r.stages[i] for r in rows) for i in range(len(Stage.choices))]
    context = {
        "page_title": "发展党员概况",
        "breadcrumbs": [SECTION, ("全委概况", None)],
        "rows": rows,
        "stage_choices": Stage.choices,
        "totals": totals,
        "total": sum(totals),
        "overdue": sum(r.overdue for r in rows),
    }
    return render(request, "development/overview.html", context)


# --- one case -------------------------------------------------------------------------------


@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The per-person timeline: every step with date, who, documents; what is due next."""
    _require(request.user, DevelopmentCase, "view")
    case = _case_or_404(request.user, pk)
    today = timezone.localdate()
    timeline = selectors.case_timeline(user=request.user, case=case, today=today)
    can_change = (
        has_permission(request.user, StepRecord, "add")
        and selectors.case_get(user=request.user, pk=pk, action="change") is not None
    )
    context = {
        "page_title": f"{case.person.name} · 发展党员",
        "breadcrumbs": [
            SECTION,
            ("发展对象名册", reverse("development:pipeline")),
            (case.person.name, None),
        ],
        "case": case,
        "timeline": timeline,
        "today": today,
        "can_change": can_change and case.state == DevelopmentCase.State.ACTIVE,
    }
    return render(request, "development/case_detail.html", context)


@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest) -> HttpResponse:
    """Register an application (step 1) for a person in scope."""
    _require(request.user, DevelopmentCase, "add")
    q = request.GET.get("q", "")[:50]
    context: dict[str, Any] = {
        "page_title": "登记入党申请",
        "breadcrumbs": [
            SECTION,
            ("发展对象名册", reverse("development:pipeline")),
            ("登记入党申请", None),
        ],
        "candidates": list(selectors.candidates_for_case(user=request.user, q=q)[:50]),
        "q": q,
        "values": {"applied_on": timezone.localdate().isoformat()},
        "errors": {},
    }
    if request.method == "POST":
        context["values"] = request.POST
        try:
            try:
                person_id = int(request.POST.get("person") or 0)
            except ValueError:
                person_id = 0
            case = services.case_open(
                actor=request.user,
                person_id=person_id,
                applied_on=_date(request.POST.get("applied_on"), "applied_on"),
                note=request.POST.get("note", ""),
                documents=request.FILES.getlist("documents"),
            )
        except ValidationError as exc:
            context["errors"] = _errors(exc)
            return render(request, "development/case_open.html", context, status=400)
        messages.success(request, "已登记入党申请。")
        return redirect("development:detail", pk=case.pk)
    return render(request, "development/case_open.html", context)


@require_http_methods(["GET", "POST"])
def step_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a step: GET the form (for ?step=N), POST complete it with the step rules."""
    _require(request.user, StepRecord, "add")
    case = _case_or_404(request.user, pk, "change")
    steps = services.step_rules()
    try:
        number = int(request.POST.get("step") or request.GET.get("step") or case.next_step or 0)
    except ValueError:
        number = 0
    step = steps.get(number)
    if step is None:
        raise Http404
    timeline = selectors.case_timeline(user=request.user, case=case)
    window = next((row.window for row in timeline.rows if row.rule.number == number), None)
    context: dict[str, Any] = {
        "page_title": f"登记步骤{number}",
        "breadcrumbs": [
            SECTION,
            ("发展对象名册", reverse("development:pipeline")),
            (case.person.name, reverse("development:detail", args=[case.pk])),
            (f"步骤{number}", None),
        ],
        "case": case,
        "step": step,
        "window": window,
        "values": {"completed_on": timezone.localdate().isoformat()},
        "errors": {},
    }
    if request.method == "POST":
        context["values"] = request.POST
        try:
            services.step_complete(
                actor=request.user,
                case_id=case.pk,
                step=number,
                completed_on=_date(request.POST.get("completed_on"), "completed_on"),
                note=request.POST.get("note", ""),
                late_reason=request.POST.get("late_reason", ""),
                started_on=_optional_date(request.POST.get("started_on"), "started_on"),
                hours=_optional_int(request.POST.get("hours"), "hours"),
                documents=request.FILES.getlist("documents"),
            )
        except ValidationError as exc:
            context["errors"] = _errors(exc)
            return render(request, "development/step_form.html", context, status=400)
        messages.success(request, f"已登记步骤{number}「{step.name}」。")
        return redirect("development:detail", pk=case.pk)
    return render(request, "development/step_form.html", context)


ACTIONS: dict[str, tuple[str, Callable[..., Any]]] = {
    "extend": ("延长预备期", services.probation_extend),
    "revoke": ("取消预备党员资格", services.probation_revoke),
    "withdraw": ("终止发展", services.case_withdraw),
}


@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Extend or revoke the probation, or withdraw the case (POST from the timeline page)."""
    _require(request.user, DevelopmentCase, "change")
    case = _case_or_404(request.user, pk, "change")
    if action not in ACTIONS:
        raise Http404
    label, service = ACTIONS[action]
    try:
        kwargs: dict[str, Any] = {
            "actor": request.user,
            "case_id": case.pk,
            "decided_on": _date(request.POST.get("decided_on"), "decided_on"),
            "reason": request.POST.get("reason", ""),
        }
        if action == "extend":
            kwargs["months"] = _optional_int(request.POST.get("months"), "months") or 0
        service(**kwargs)
    except ValidationError as exc:
        for errors in _errors(exc).values():
            for message in errors:
                messages.error(request, f"{label}失败：{message}")
        return redirect("development:detail", pk=case.pk)
    messages.success(request, f"已{label}。")
    return redirect("development:detail", pk=case.pk)


@require_GET
def document_download(request: HttpRequest, uid: str) -> FileResponse:
    """A step document, only within scope (else 404), always as an attachment."""
    _require(request.user, DevelopmentCase, "view")
    doc = selectors.document_get(user=request.user, uid=uid)
    if doc is None:
        raise Http404
    path = services.document_path(doc)
    if not path.exists():
        raise Http404
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=doc.original_name,
        content_type=doc.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- rules ----------------------------------------------------------------------------------


@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, StepRule, "view")
    context = {
        "page_title": "发展党员步骤规则",
        "breadcrumbs": [SECTION, ("步骤规则", None)],
        "rules": list(selectors.step_rule_list()),
        "can_change": has_permission(request.user, StepRule, "change"),
        "stage_choices": Stage.choices,
    }
    return render(request, "development/rule_list.html", context)


def _rule_data(post: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": post.get("name", "").strip()[:60],
        "responsible": post.get("responsible", "").strip()[:60],
        "documents": post.get("documents", "").strip()[:2000],
        "source": post.get("source", "").strip()[:300],
        "interval_unit": post.get("interval_unit", IntervalUnit.DAYS),
    }
    preds = []
    for part in post.get("predecessors", "").replace("，", ",").split(","):
        part = part.strip()
        if part:
            try:
                preds.append(int(part))
            except ValueError:
                raise ValidationError(
                    {"predecessors": ["前置步骤应为以逗号分隔的步骤编号。"]}
                ) from None
    data["predecessors"] = preds
    for key in (
        "interval_from",
        "min_interval",
        "max_interval",
        "hard_max_interval",
        "min_days",
        "min_hours",
        "min_age_years",
    ):
        data[key] = _optional_int(post.get(key), key)
    return data


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, StepRule, "change")
    step = get_object_or_404(StepRule, pk=pk)
    context: dict[str, Any] = {
        "page_title": f"编辑步骤{step.number}",
        "breadcrumbs": [
            SECTION,
            ("步骤规则", reverse("development:rules")),
            (f"步骤{step.number}", None),
        ],
        "step": step,
        "unit_choices": IntervalUnit.choices,
        "errors": {},
        "predecessors": ",".join(str(p) for p in step.predecessors),
    }
    if request.method == "POST":
        try:
            services.steprule_update(
                actor=request.user, rule_id=step.pk, data=_rule_data(request.POST)
            )
        except ValidationError as exc:
            context["errors"] = _errors(exc)
            context["predecessors"] = request.POST.get("predecessors", "")
            return render(request, "development/rule_form.html", context, status=400)
        messages.success(request, f"已保存步骤{step.number}的规则。")
        return redirect("development:rules")
    return render(request, "development/rule_form.html", context)


# --- export ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def export(request: HttpRequest) -> HttpResponse:
    _require(request.user, DevelopmentCase, "export")
    params = export_params(request.POST if request.method == "POST" else request.GET)
    if request.method == "POST":
        with transaction.atomic():
            job = export_start(user=request.user, key=EXPORT_KEY, params=params)
        return redirect("development:export_job", uid=job.uid)
    context = {
        "page_title": "导出发展党员名单",
        "breadcrumbs": [SECTION, ("导出", None)],
        "params": params,
        "count": export_queryset(request.user, params).count(),
        "row_cap": rule("security.export_row_cap"),
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "development/export.html", context)


@never_cache
@require_GET
def export_job(request: HttpRequest, uid: str) -> HttpResponse:
    _require(request.user, DevelopmentCase, "export")
    job = get_object_or_404(Job, uid=uid, owner=request.user, kind=f"export:{EXPORT_KEY}")
    context = {
        "page_title": "导出进度",
        "breadcrumbs": [SECTION, ("导出进度", None)],
        "job": job,
        "ttl_hours": rule("security.export_ttl_hours"),
    }
    return render(request, "development/export_job.html", context)
