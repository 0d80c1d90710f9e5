"""Result pages: ranking of a round, score card per branch, committee dashboard, my results.

Views parse and authorise (no permission at all → 403, a round or sheet out of scope → 404),
then read through ``assessment.selectors.results``; charts are ECharts options delivered with
``json_script`` (no inline JS) and drill down to the score card behind a point.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from dangjian.assessment.models import AssessmentRound, AssessmentScheme, ScoreSheet
from dangjian.assessment.selectors import results as sel
from dangjian.core.scope import has_permission

SECTION = "考核评价"


def _require(user: Any, model: type = ScoreSheet, action: str = "view") -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有查看考核结果的权限。")


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(SECTION, None), ("考核结果", reverse("assessment:results")), *extra]


def _round_or_404(user: Any, pk: int) -> AssessmentRound:
    rnd = sel.round_get(user, pk)
    if rnd is None:
        raise Http404
    return rnd


def can_export(user: Any) -> bool:
    return has_permission(user, ScoreSheet, "export")


@require_GET
def result_list(request: HttpRequest) -> HttpResponse:
    """Rounds with readable results and the annual evaluations."""
    _require(request.user)
    year = _int(request.GET.get("year"))
    rounds = sel.result_rounds(request.user)
    if year:
        rounds = rounds.filter(year=year)
    rounds = rounds.order_by("-year", "-quarter", "-pk")[:100]
    context = {
        "page_title": "考核结果",
        "breadcrumbs": [(SECTION, None), ("考核结果", None)],
        "rounds": list(rounds),
        "year": year or "",
        "evaluations": list(sel.annual_evaluations(request.user)[:20])
        if has_permission(request.user, sel.AnnualEvaluation, "view")
        else [],
        "can_dashboard": has_permission(request.user, AssessmentScheme, "view"),
    }
    return render(request, "assessment/results/list.html", context)


@require_GET
def round_results(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user)
    rnd = _round_or_404(request.user, pk)
    q = request.GET.get("q", "").strip()[:50]
    star_param = request.GET.get("star", "")
    star = int(star_param) if star_param in {"0", "1", "2", "3", "4", "5"} else None
    results = sel.round_results(rnd, request.user, q=q, star=star)
    context = {
        "page_title": f"{rnd.name} · 考核结果",
        "breadcrumbs": _crumbs((rnd.name, None)),
        "results": results,
        "round": rnd,
        "filters": {"q": q, "star": star_param if star is not None else ""},
        "star_choices": [(str(n), f"{n}星") for n in (5, 4, 3, 2, 1)] + [("0", "无星")],
        "can_export": can_export(request.user) and results.results_visible,
        "can_notice": results.results_visible,
    }
    if request.htmx and request.htmx.target == "result-table":  # type: ignore[attr-defined]
        return render(request, "assessment/results/round.html#result-table", context)
    return render(request, "assessment/results/round.html", context)


@require_GET
def score_card(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user)
    sheet = sel.sheet_get(request.user, pk)
    if sheet is None:
        raise Http404
    card = sel.score_card(sheet, request.user)
    history = sel.branch_history([sheet.branch_id], request.user).get(sheet.branch_id)
    context = {
        "page_title": f"{sheet.branch_name} · 考核评分卡",
        "breadcrumbs": _crumbs(
            (sheet.round.name, reverse("assessment:round_results", args=[sheet.round_id])),
            (sheet.branch_name, None),
        ),
        "card": card,
        "sheet": sheet,
        "history": history,
        "radar": card.radar(),
    }
    return render(request, "assessment/results/card.html", context)


@require_GET
def my_results(request: HttpRequest) -> HttpResponse:
    """A branch's own cards and rank positions; a member's published results of the branch."""
    _require(request.user)
    sheets = sel.my_sheets(request.user)
    history = sel.branch_history({s.branch_id for s in sheets}, request.user)
    latest_public = sel.latest_round(request.user)
    context = {
        "page_title": "我的考核结果",
        "breadcrumbs": [(SECTION, None), ("我的考核结果", None)],
        "sheets": [(s, sel.stars(s.star)) for s in sheets],
        "history": list(history.values()),
        "latest": latest_public,
        "manages": sel.manages_rounds(request.user),
    }
    return render(request, "assessment/results/mine.html", context)


def _dashboard_context(user: Any, rnd: AssessmentRound) -> dict[str, Any]:
    results = sel.round_results(rnd, user)
    heat = sel.category_heatmap(rnd, user)
    card_urls = [reverse("assessment:score_card", args=[pk]) for pk, _name in heat.branches]
    trend = sel.trend(rnd.party_org, user)
    distribution = sel.star_distribution(results)
    base = reverse("assessment:round_results", args=[rnd.pk])
    star_option = {
        "tooltip": {"trigger": "item"},
        "series": [
            {
                "type": "pie",
                "radius": ["35%", "65%"],
                "data": [
                    {
                        "name": label,
                        "value": count,
                        "url": f"{base}?star={label[0] if label[0].isdigit() else 0}",
                    }
                    for label, count in distribution
                    if count
                ],
            }
        ],
    }
    return {
        "round": rnd,
        "results": results,
        "top": results.rows[:10],
        "distribution": distribution,
        "warnings": sel.warnings(results, user),
        "trend": trend,
        "options": {
            "trend": sel.trend_option(trend),
            "heat": heat.option(card_urls),
            "stars": star_option,
        },
        "heat_rows": len(heat.branches),
    }


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The committee's view: ranking, trend, category heatmap, stars, branches to look at."""
    _require(request.user, AssessmentScheme, "view")
    chosen = _int(request.GET.get("round"))
    rnd = sel.round_get(request.user, chosen) if chosen else sel.latest_round(request.user)
    if chosen and (rnd is None or not sel.results_visible(rnd, request.user)):
        raise Http404
    context: dict[str, Any] = {
        "page_title": "考核看板",
        "breadcrumbs": [(SECTION, None), ("考核看板", None)],
        "rounds": list(sel.result_rounds(request.user).order_by("-year", "-quarter", "-pk")[:20]),
        "round": rnd,
    }
    if rnd is not None:
        context.update(_dashboard_context(request.user, rnd))
    return render(request, "assessment/dashboard/dashboard.html", context)


@require_GET
def home_card(request: HttpRequest) -> HttpResponse:
    """Fragment for the home page: the latest result (own branch for a secretary)."""
    user = request.user
    if not has_permission(user, ScoreSheet, "view"):
        return HttpResponse("")
    rnd = sel.latest_round(user)
    if rnd is None:
        return HttpResponse("")
    mine_ids = set(sel.my_branch_ids(user))
    results = sel.round_results(rnd, user)
    own = [row for row in results.rows if row.sheet.branch_id in mine_ids]
    context = {
        "round": rnd,
        "results": results,
        "own": own,
        "top": results.rows[:5],
        "distribution": sel.star_distribution(results),
        "is_lead": has_permission(user, AssessmentScheme, "view"),
    }
    return render(request, "assessment/dashboard/home_card.html", context)


urlpatterns = [
    path("results/", result_list, name="results"),
    path("results/mine/", my_results, name="my_results"),
    path("results/home-card/", home_card, name="home_card"),
    path("results/<int:pk>/", round_results, name="round_results"),
    path("results/card/<int:pk>/", score_card, name="score_card"),
    path("dashboard/", dashboard, name="dashboard"),
]
