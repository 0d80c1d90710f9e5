"""Survey pages: 我的测评 (answer on a phone), the managers' list, detail with results, create.

Views only parse input, call a selector or service, and render. Managers: the permission
anywhere (``has_permission``) else 403, the survey through the scoped selector else 404.
Respondents: ``add_response`` else 403, and the eligibility check else 404. Answers are never
logged and never echoed back after a successful submission.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.audit.services import audit_record
from dangjian.core.excel import safe_cell
from dangjian.core.listing import paginate_sorted
from dangjian.core.scope import has_permission
from dangjian.surveys import selectors, services
from dangjian.surveys.models import Question, Response, Survey

SECTION = "考核评价"
SORTABLE = {
    "opens": "opens_on",
    "closes": "closes_on",
    "org": "subject_org__path",
    "state": "state",
    "respondents": "respondents",
}
EXPORT_CAP = 5000


def _require(user: Any, action: str = "view") -> None:
    if not has_permission(user, Survey, action):
        raise PermissionDenied("您没有访问满意度测评的权限。")


def _survey_or_404(user: Any, pk: int, action: str = "view") -> Survey:
    survey = selectors.survey_get(user=user, pk=pk, action=action)
    if survey is None:
        raise Http404
    return survey


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(SECTION, None), ("满意度测评", reverse("surveys:list")), *extra]


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        return None


def _filters(request: HttpRequest) -> dict[str, Any]:
    state = request.GET.get("state", "")
    audience = request.GET.get("audience", "")
    return {
        "q": request.GET.get("q", "").strip()[:50],
        "state": state if state in Survey.State.values else "",
        "audience": audience if audience in Survey.Audience.values else "",
    }


@require_GET
def survey_list(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    filters = _filters(request)
    qs = selectors.survey_list(user=request.user, **filters)
    listing = paginate_sorted(request, qs, sortable=SORTABLE, default_sort="-opens")
    context = {
        "page_title": "满意度测评",
        "breadcrumbs": _crumbs(),
        "listing": listing,
        "filters": filters,
        "states": Survey.State.choices,
        "audiences": Survey.Audience.choices,
        "can_add": has_permission(request.user, Survey, "add"),
        "can_export": has_permission(request.user, Survey, "export"),
        "export_query": request.GET.urlencode(),
    }
    if request.htmx and request.htmx.target == "survey-table":  # type: ignore[attr-defined]
        return render(request, "surveys/survey_list.html#survey-table", context)
    return render(request, "surveys/survey_list.html", context)


@require_GET
def survey_export(request: HttpRequest) -> HttpResponse:
    """Excel of the filtered list: one row per survey, results only of closed surveys."""
    _require(request.user, "export")
    from openpyxl import Workbook

    filters = _filters(request)
    surveys = list(
        selectors.survey_list(user=request.user, action="export", **filters).order_by(
            "-opens_on", "subject_org__path", "pk"
        )[:EXPORT_CAP]
    )
    closed = [s for s in surveys if selectors.results_visible(s)]
    results = selectors.results_many(closed)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "测评汇总"
    sheet.append(
        [
            *("标题", "被测评组织", "被测评人", "参评对象", "用途", "开始", "截止", "状态"),
            *("参评人数", "最少参评人数", "总体满意度(0-100)"),
        ]
    )
    detail = workbook.create_sheet("分题结果")
    detail.append(["标题", "被测评组织", "序号", "题目", "题型", "均分(1-5)", "得分(0-100)"])
    for s in surveys:
        result = results.get(s.pk)
        if result is None:
            overall: Any = "结束后公布"
        elif not result.counted:
            overall = result.shortfall_label
        else:
            overall = result.score
        row = [
            s.title,
            s.subject_org.name,
            s.subject_person.name if s.subject_person else "",
            s.get_audience_display(),
            s.context,
            s.opens_on,
            s.closes_on,
            s.get_state_display(),
            s.respondents,  # type: ignore[attr-defined]
            s.min_respondents,
            overall,
        ]
        sheet.append([safe_cell(v) for v in row])
        for q in result.questions if result and result.counted else []:
            if q.question.kind == Question.Kind.SCALE:
                cells = [s.title, s.subject_org.name, q.question.order, q.question.text]
                cells += [q.question.get_kind_display(), q.mean, q.score]
                detail.append([safe_cell(v) for v in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit_record(
        "export",
        obj=("export", "surveys.survey", "满意度测评结果"),
        changes={"rows": len(surveys), "filters": filters},
    )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"满意度测评-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=True, filename=name) or ""
    )
    return response


@require_http_methods(["GET", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    """Create a survey by hand with the default questionnaire."""
    _require(request.user, "add")
    today = timezone.localdate()
    values: dict[str, Any] = {
        "title": request.POST.get("title", "").strip(),
        "org": request.POST.get("org", ""),
        "audience": request.POST.get("audience", Survey.Audience.ALL),
        "opens_on": request.POST.get("opens_on", today.isoformat()),
        "closes_on": request.POST.get("closes_on", (today + dt.timedelta(days=7)).isoformat()),
        "min_respondents": request.POST.get("min_respondents", ""),
        "open_now": request.POST.get("open_now") == "1" if request.method == "POST" else True,
    }
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        org_id = _int(values["org"])
        opens_on, closes_on = _date(values["opens_on"]), _date(values["closes_on"])
        minimum = _int(values["min_respondents"]) if values["min_respondents"] else None
        if org_id is None:
            errors["subject_org"] = ["请选择被测评组织。"]
        if opens_on is None:
            errors["opens_on"] = ["请填写开始日期。"]
        if closes_on is None:
            errors["closes_on"] = ["请填写截止日期。"]
        if values["min_respondents"] and minimum is None:
            errors["min_respondents"] = ["最少参评人数应为正整数。"]
        if not errors:
            try:
                survey = services.survey_create(
                    actor=request.user,
                    title=str(values["title"]),
                    context="",
                    subject_org_id=org_id or 0,
                    audience=str(values["audience"]),
                    questions=None,
                    min_respondents=minimum,
                    opens_on=opens_on or today,
                    closes_on=closes_on or today,
                    open_now=bool(values["open_now"]),
                )
            except ValidationError as exc:
                errors = (
                    exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                )
            else:
                messages.success(request, "满意度测评已创建。")
                return redirect("surveys:detail", pk=survey.pk)
    context = {
        "page_title": "发起满意度测评",
        "breadcrumbs": _crumbs(("发起", None)),
        "orgs": selectors.orgs_for(user=request.user, action="add"),
        "audiences": Survey.Audience.choices,
        "values": values,
        "errors": errors,
        "form_errors": errors.get("__all__", []) + errors.get("questions", []),
        "default_questions": services.DEFAULT_QUESTIONS,
        "default_minimum": services.rule(services.MIN_RULE),
    }
    return render(request, "surveys/survey_form.html", context, status=400 if errors else 200)


@require_GET
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user)
    survey = _survey_or_404(request.user, pk)
    visible = selectors.results_visible(survey)
    results = selectors.survey_results(survey) if visible else None
    respondents = results.respondents if results else Response.objects.filter(survey=survey).count()
    can_change = selectors.survey_get(user=request.user, pk=pk, action="change") is not None
    context = {
        "page_title": survey.title,
        "breadcrumbs": _crumbs((survey.title, None)),
        "survey": survey,
        "results": results,
        "respondents": respondents,
        "eligible": selectors.eligible_count(survey),
        "questions": survey.questions.order_by("order"),
        "can_open": can_change and survey.state == Survey.State.DRAFT,
        "can_close": can_change and survey.state == Survey.State.OPEN,
        "charts": [
            (f"chart-{i}", row.chart)
            for i, row in enumerate(results.questions if results else [])
            if row.question.kind != Question.Kind.TEXT
        ],
    }
    return render(request, "surveys/survey_detail.html", context)


@require_POST
def survey_transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require(request.user, "change")
    survey = _survey_or_404(request.user, pk, "change")
    service = {"open": services.survey_open, "close": services.survey_close}.get(action)
    if service is None:
        raise Http404
    try:
        survey = service(actor=request.user, survey_id=survey.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"测评已{'开始' if action == 'open' else '结束'}。")
    return redirect("surveys:detail", pk=pk)


def _require_respondent(user: Any) -> None:
    if not has_permission(user, Response, "add"):
        raise PermissionDenied("您没有参加满意度测评的权限。")


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """我的测评: the open surveys the logged-in person may answer."""
    _require_respondent(request.user)
    context = {
        "page_title": "我的测评",
        "breadcrumbs": [(SECTION, None), ("我的测评", None)],
        "surveys": selectors.my_surveys(user=request.user),
        "has_person": selectors.person_of(request.user) is not None,
    }
    return render(request, "surveys/mine.html", context)


@require_http_methods(["GET", "POST"])
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer form: one card per question, big touch targets."""
    _require_respondent(request.user)
    survey = selectors.my_survey(user=request.user, pk=pk)
    if survey is None:
        raise Http404
    questions = list(survey.questions.order_by("order"))
    errors: dict[str, list[str]] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {
            str(q.pk): request.POST.get(f"q{q.pk}", "")
            for q in questions
            if f"q{q.pk}" in request.POST
        }
        answers = {k: v for k, v in posted.items() if v != ""}
        try:
            services.response_submit(actor=request.user, survey_id=survey.pk, answers=answers)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, "感谢参与！您的答卷已匿名提交。")
            return redirect("surveys:mine")
    context = {
        "page_title": survey.title,
        "breadcrumbs": [
            (SECTION, None),
            ("我的测评", reverse("surveys:mine")),
            (survey.title, None),
        ],
        "survey": survey,
        "rows": [(q, posted.get(str(q.pk), ""), errors.get(str(q.pk), [])) for q in questions],
        "scale": [(v, label) for v, label in SCALE_LABELS],
        "form_errors": errors.get("__all__", []),
        "answered": selectors.has_answered(user=request.user, survey=survey),
        "answerable": selectors.answerable(survey),
    }
    return render(request, "surveys/answer.html", context, status=400 if errors else 200)


SCALE_LABELS = ((5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不太满意"), (1, "不满意"))
