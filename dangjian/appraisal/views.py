"""Democratic appraisal pages: round list, grading sheet, evaluators, results, my appraisal.

Views only parse input, call a selector or service, and render. Permission anywhere
(``has_permission``) else 403; the round through the scoped selector else 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.appraisal import selectors, services
from dangjian.appraisal.models import (
    AppraisalEntry,
    AppraisalEvaluator,
    AppraisalRound,
    AppraisalVote,
    Grade,
)
from dangjian.appraisal.rules import excellent_cap, excellent_ratio, ratio_text
from dangjian.core.listing import paginate_sorted
from dangjian.core.scope import has_permission, restrict
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person

SORTABLE = {"year": "year", "branch": "branch__path", "state": "state", "appraised": "appraised"}
SECTION = "组织生活"


def _require(user: Any, action: str = "view") -> None:
    if not has_permission(user, AppraisalRound, action):
        raise PermissionDenied("您没有访问民主评议的权限。")


def _round_or_404(user: Any, pk: int, action: str = "view") -> AppraisalRound:
    rnd = selectors.round_get(user=user, pk=pk, action=action)
    if rnd is None:
        raise Http404
    return rnd


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(SECTION, None), ("民主评议党员", reverse("appraisal:list")), *extra]


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


@require_GET
def round_list(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    year = _int(request.GET.get("year"))
    q = request.GET.get("q", "").strip()[:50]
    state = request.GET.get("state", "")
    state = state if state in AppraisalRound.State.values else ""
    qs = selectors.round_list(user=request.user, year=year, q=q, state=state)
    listing = paginate_sorted(request, qs, sortable=SORTABLE, default_sort="-year")
    context = {
        "page_title": "民主评议党员",
        "breadcrumbs": _crumbs(),
        "listing": listing,
        "filters": {"year": year or "", "q": q, "state": state},
        "states": AppraisalRound.State.choices,
        "can_add": has_permission(request.user, AppraisalRound, "add"),
    }
    if request.htmx and request.htmx.target == "round-table":  # type: ignore[attr-defined]
        return render(request, "appraisal/round_list.html#round-table", context)
    return render(request, "appraisal/round_list.html", context)


@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, "add")
    branches = selectors.branches_for(user=request.user, action="add")
    values = {"branch": request.POST.get("branch", ""), "year": request.POST.get("year", "")}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        branch_id, year = _int(values["branch"]), _int(values["year"])
        if branch_id is None:
            errors["branch"] = ["请选择党支部。"]
        if year is None:
            errors["year"] = ["请填写年度。"]
        if not errors:
            try:
                rnd = services.round_create(
                    actor=request.user,
                    branch_id=branch_id or 0,
                    year=year or 0,
                    note=request.POST.get("note", ""),
                )
            except ValidationError as exc:
                errors = (
                    exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
                )
            else:
                messages.success(request, "已发起民主评议，参评党员已按支部名册列入。")
                return redirect("appraisal:detail", pk=rnd.pk)
    else:
        values["year"] = str(timezone.localdate().year)
    context = {
        "page_title": "发起民主评议",
        "breadcrumbs": _crumbs(("发起", None)),
        "branches": branches,
        "values": values,
        "errors": errors,
        "form_errors": errors.get("__all__", []),
    }
    return render(request, "appraisal/round_form.html", context, status=400 if errors else 200)


def _sheet_context(request: HttpRequest, rnd: AppraisalRound) -> dict[str, Any]:
    sheet = selectors.grading_sheet(user=request.user, rnd=rnd)
    ratio = excellent_ratio()
    can_change = (
        rnd.state != AppraisalRound.State.CLOSED
        and selectors.round_get(user=request.user, pk=rnd.pk, action="change") is not None
    )
    return {
        "page_title": str(rnd),
        "breadcrumbs": _crumbs((f"{rnd.branch.name} {rnd.year}", None)),
        "round": rnd,
        "sheet": sheet,
        "grades": Grade.choices,
        "grade_labels": Grade.labels,
        "cap": excellent_cap(len(sheet), ratio),
        "ratio_text": ratio_text(ratio),
        "can_change": can_change,
        "can_grade": can_change and rnd.state == AppraisalRound.State.EVALUATION,
        "next_label": dict(AppraisalRound.State.choices).get(
            services.NEXT_STATE.get(AppraisalRound.State(rnd.state), ""), ""
        ),
    }


@require_GET
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The member grading sheet: self-assessments, vote tallies, final grades."""
    _require(request.user)
    rnd = _round_or_404(request.user, pk)
    return render(request, "appraisal/round_detail.html", _sheet_context(request, rnd))


@require_POST
def round_grade(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "change")
    rnd = _round_or_404(request.user, pk, "change")
    grades: dict[int, str] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith("grade-"):
            entry_id = _int(key.removeprefix("grade-"))
            if entry_id is not None:
                grades[entry_id] = value
    try:
        services.grades_set(actor=request.user, round_id=rnd.pk, grades=grades)
    except ValidationError as exc:
        context = _sheet_context(request, rnd)
        context["errors"] = _errors(exc)
        context["posted"] = grades
        return render(request, "appraisal/round_detail.html", context, status=400)
    messages.success(request, "评定等次已保存。")
    return redirect("appraisal:detail", pk=rnd.pk)


@require_POST
def round_advance(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, "change")
    rnd = _round_or_404(request.user, pk, "change")
    try:
        rnd = services.round_advance(actor=request.user, round_id=rnd.pk)
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
    else:
        messages.success(request, f"已进入“{rnd.get_state_display()}”阶段。")
    return redirect("appraisal:detail", pk=pk)


@require_http_methods(["GET", "POST"])
def round_evaluators(request: HttpRequest, pk: int) -> HttpResponse:
    """Name the peer and mass evaluators (persons of the branch visible to the secretary)."""
    _require(request.user)
    rnd = _round_or_404(request.user, pk)
    can_change = (
        rnd.state in (AppraisalRound.State.DRAFT, AppraisalRound.State.SELF)
        and selectors.round_get(user=request.user, pk=pk, action="change") is not None
    )
    errors: list[str] = []
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("当前不能修改评议人。")
        try:
            services.evaluators_set(
                actor=request.user,
                round_id=rnd.pk,
                peer_ids=[i for i in map(_int, request.POST.getlist("peers")) if i],
                masses_ids=[i for i in map(_int, request.POST.getlist("masses")) if i],
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, "评议人已保存。")
            return redirect("appraisal:evaluators", pk=pk)
    chosen = {e.person_id: e for e in selectors.evaluators(user=request.user, rnd=rnd)}
    candidates = (
        restrict(Person.objects.all(), request.user, "view")
        .filter(party_org__path__startswith=rnd.branch.path, is_employed=True)
        .only("pk", "name", "employee_no", "political_status")
        .order_by("employee_no")
    )
    peers: list[tuple[Person, bool]] = []
    masses: list[tuple[Person, bool]] = []
    for person in candidates if can_change else []:
        target = peers if person.political_status in PARTY_MEMBER_STATUSES else masses
        target.append((person, person.pk in chosen))
    context = {
        "page_title": "指定评议人",
        "breadcrumbs": _crumbs(
            (f"{rnd.branch.name} {rnd.year}", reverse("appraisal:detail", args=[pk])),
            ("评议人", None),
        ),
        "round": rnd,
        "chosen": list(chosen.values()),
        "peers": peers,
        "masses": masses,
        "can_change": can_change,
        "errors": errors,
    }
    return render(request, "appraisal/evaluators.html", context, status=400 if errors else 200)


@require_GET
def round_results(request: HttpRequest, pk: int) -> HttpResponse:
    """Printable results: counts per grade and the members by grade."""
    _require(request.user)
    rnd = _round_or_404(request.user, pk)
    context = _sheet_context(request, rnd)
    summary = selectors.grade_summary(rnd=rnd)
    context.update(
        {
            "page_title": f"{rnd}结果",
            "summary": [(label, summary[value]) for value, label in Grade.choices],
            "ungraded": summary[""],
        }
    )
    return render(request, "appraisal/results.html", context)


def _require_personal(user: Any) -> None:
    if not (
        has_permission(user, AppraisalEntry, "view")
        or has_permission(user, AppraisalEvaluator, "view")
    ):
        raise PermissionDenied("您没有参加民主评议的权限。")


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """My appraisal: my self-assessments and the ballots I was asked to fill in."""
    _require_personal(request.user)
    context = {
        "page_title": "我的民主评议",
        "breadcrumbs": [(SECTION, None), ("我的民主评议", None)],
        "entries": selectors.my_entries(user=request.user),
        "ballots": selectors.my_ballots(user=request.user),
    }
    return render(request, "appraisal/mine.html", context)


@require_POST
def self_assessment(request: HttpRequest, entry_pk: int) -> HttpResponse:
    if not has_permission(request.user, AppraisalEntry, "change"):
        raise PermissionDenied("您没有填写个人自评的权限。")
    try:
        entry = services.self_assessment_submit(
            actor=request.user, entry_id=entry_pk, text=request.POST.get("text", "")
        )
    except ValidationError as exc:
        for message in _errors(exc):
            messages.error(request, message)
        return redirect("appraisal:mine")
    messages.success(request, "个人自评已提交。")
    if request.POST.get("next") == "sheet":
        return redirect("appraisal:detail", pk=entry.round_id)
    return redirect("appraisal:mine")


@require_http_methods(["GET", "POST"])
def ballot(request: HttpRequest, evaluator_pk: int) -> HttpResponse:
    """One evaluator's ballot: a grade for every member of the round but themselves."""
    if not has_permission(request.user, AppraisalVote, "add"):
        raise PermissionDenied("您没有参加民主测评的权限。")
    evaluator = (
        restrict(AppraisalEvaluator.objects.filter(pk=evaluator_pk), request.user, "view")
        .select_related("round", "round__branch", "person")
        .first()
    )
    if evaluator is None:
        raise Http404
    errors: list[str] = []
    if request.method == "POST":
        grades: dict[int, str] = {}
        for key in request.POST:
            value = request.POST.get(key, "")
            if key.startswith("vote-") and value:
                entry_id = _int(key.removeprefix("vote-"))
                if entry_id is not None:
                    grades[entry_id] = value
        try:
            services.votes_cast(actor=request.user, evaluator_id=evaluator.pk, grades=grades)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, f"已提交 {len(grades)} 名党员的评价。")
            return redirect("appraisal:ballot", evaluator_pk=evaluator.pk)
    context = {
        "page_title": "民主测评票",
        "breadcrumbs": [
            (SECTION, None),
            ("我的民主评议", reverse("appraisal:mine")),
            ("测评票", None),
        ],
        "evaluator": evaluator,
        "rows": selectors.ballot_entries(evaluator=evaluator),
        "grades": Grade.choices,
        "open": evaluator.round.state == AppraisalRound.State.EVALUATION,
        "errors": errors,
    }
    return render(request, "appraisal/ballot.html", context, status=400 if errors else 200)
