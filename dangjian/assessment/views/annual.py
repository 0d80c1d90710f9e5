"""年终总评 and 双评 pages: the annual table (quarters, star, moves, history), computing and
publishing it, the branch's star-member scores and a member's own self-rating (phone).

Views parse, authorise and render; the services in ``services/annual.py`` do the work.
Lacking the permission anywhere → 403; an evaluation or rating out of scope → 404.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.assessment.errors import StaleVersion
from dangjian.assessment.models import AnnualEvaluation, AnnualResult, StarMemberRating
from dangjian.assessment.services import annual as services
from dangjian.assessment.stars import star_text
from dangjian.core.listing import paginate_sorted
from dangjian.core.scope import has_permission, restrict
from dangjian.orgs.models import PartyOrg

SECTION = "考核评价"
QUARTERS = ("1", "2", "3", "4")


def _require(user: Any, model: type[Any] = AnnualEvaluation, action: str = "view") -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有访问年终总评的权限。")


def _evaluation_or_404(user: Any, pk: int) -> AnnualEvaluation:
    found = (
        restrict(AnnualEvaluation.objects.select_related("party_org"), user, "view")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _crumbs(*extra: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(SECTION, None), ("年终总评", reverse("assessment:annual_list")), *extra]


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**62 else None


def _committees(user: Any) -> list[PartyOrg]:
    """Committees whose annual evaluation the user may compute."""
    if not has_permission(user, AnnualEvaluation, "add"):
        return []
    orgs = restrict(PartyOrg.objects.filter(kind=PartyOrg.Kind.COMMITTEE), user, "view")
    return [
        org
        for org in orgs.only("pk", "name", "path").order_by("path")
        if services.may(user, AnnualEvaluation, "add", org.path)
    ]


@require_GET
def annual_list(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    qs = restrict(AnnualEvaluation.objects.select_related("party_org"), request.user, "view")
    listing = paginate_sorted(request, qs, sortable={"year": "year"}, default_sort="-year")
    context = {
        "page_title": "年终总评",
        "breadcrumbs": _crumbs(),
        "listing": listing,
        "committees": _committees(request.user),
        "this_year": timezone.localdate().year,
    }
    return render(request, "assessment/annual/list.html", context)


@require_POST
def annual_compute(request: HttpRequest) -> HttpResponse:
    _require(request.user, AnnualEvaluation, "add")
    org_id, year = _int(request.POST.get("party_org")), _int(request.POST.get("year"))
    allowed = {org.pk for org in _committees(request.user)}
    if org_id not in allowed or year is None or not 2000 <= year <= 2100:
        messages.error(request, "请选择党委并填写正确的年度。")
        return redirect("assessment:annual_list")
    try:
        evaluation = services.annual_compute(
            actor=request.user, party_org_id=org_id or 0, year=year
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("assessment:annual_list")
    messages.success(request, f"{year}年度总评已计算，星级党员评定表已生成。")
    return redirect("assessment:annual_detail", pk=evaluation.pk)


@require_GET
def annual_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The annual table: quarter columns, score, rank, star, move arrow, history per branch."""
    _require(request.user)
    evaluation = _evaluation_or_404(request.user, pk)
    results = list(
        restrict(AnnualResult.objects.filter(evaluation=evaluation), request.user, "view")
        .select_related("branch")
        .order_by("rank", "branch__path")
    )
    history: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    for branch_id, year, star in (
        restrict(AnnualResult.objects.all(), request.user, "view")
        .filter(branch_id__in=[r.branch_id for r in results], evaluation__year__lt=evaluation.year)
        .order_by("evaluation__year")
        .values_list("branch_id", "evaluation__year", "star")
    ):
        history[branch_id].append((year, star))
    rows = [
        {
            "result": r,
            "quarters": [r.quarter_totals.get(q_) for q_ in QUARTERS],
            "star": star_text(r.star),
            "history": [(year, star_text(star)) for year, star in history.get(r.branch_id, [])],
        }
        for r in results
    ]
    can_manage = services.may(request.user, AnnualEvaluation, "change", evaluation.party_org.path)
    stars = restrict(
        StarMemberRating.objects.filter(evaluation=evaluation), request.user, "view"
    ).values_list("star", flat=True)
    member_stars: dict[int, int] = defaultdict(int)
    for star in stars:
        if star is not None:
            member_stars[star] += 1
    context = {
        "page_title": str(evaluation),
        "breadcrumbs": _crumbs((str(evaluation), None)),
        "evaluation": evaluation,
        "rows": rows,
        "quarters": QUARTERS,
        "weights": [evaluation.weights.get(q_) for q_ in QUARTERS],
        "can_manage": can_manage,
        "can_publish": can_manage and not evaluation.is_public,
        "member_stars": [(star_text(s), n) for s, n in sorted(member_stars.items(), reverse=True)],
        "can_rate": has_permission(request.user, StarMemberRating, "view"),
    }
    return render(request, "assessment/annual/detail.html", context)


@require_POST
def annual_publish(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, AnnualEvaluation, "change")
    evaluation = _evaluation_or_404(request.user, pk)
    try:
        services.annual_publish(actor=request.user, evaluation_id=evaluation.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, "星级党支部和星级党员评定结果已一并发布。")
    return redirect("assessment:annual_detail", pk=pk)


@require_http_methods(["GET", "POST"])
def star_members(request: HttpRequest, pk: int) -> HttpResponse:
    """The branch's star-member table: it enters the branch scores (双评)."""
    _require(request.user, StarMemberRating)
    evaluation = _evaluation_or_404(request.user, pk)
    ratings_qs = (
        restrict(StarMemberRating.objects.filter(evaluation=evaluation), request.user, "view")
        .select_related("person", "branch", "evaluation")
        .order_by("branch__path", "person__employee_no")
    )
    branches = {r.branch_id: r.branch for r in ratings_qs}
    branch_id = _int(request.GET.get("branch") or request.POST.get("branch"))
    if branch_id is not None and branch_id not in branches:
        raise Http404
    if branch_id is None and len(branches) == 1:
        branch_id = next(iter(branches))
    ratings = [r for r in ratings_qs if branch_id is None or r.branch_id == branch_id]
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if evaluation.is_public:
            raise PermissionDenied("评定结果已发布，不能修改。")
        saved = 0
        for rating in ratings:
            raw = request.POST.get(f"branch-{rating.pk}", "").strip()
            if raw == "" or (rating.branch_score is not None and raw == str(rating.branch_score)):
                continue
            if not services.may_rate_as_branch(request.user, rating):
                raise PermissionDenied("您不能为该党员填写支部评分。")
            try:
                services.star_member_score_save(
                    actor=request.user,
                    rating_id=rating.pk,
                    version=_int(request.POST.get(f"version-{rating.pk}")) or 0,
                    branch_score=raw,
                )
            except StaleVersion as exc:
                errors.append(f"{rating.person.name}：{exc}")
                status = 409
            except ValidationError as exc:
                errors.extend(f"{rating.person.name}：{m}" for m in exc.messages)
                status = max(status, 400)
            else:
                saved += 1
        if not errors:
            messages.success(request, f"已保存 {saved} 名党员的支部评分。")
            url = reverse("assessment:star_members", args=[pk])
            return redirect(f"{url}?branch={branch_id}" if branch_id else url)
        ratings_qs = ratings_qs.all()
        ratings = [r for r in ratings_qs if branch_id is None or r.branch_id == branch_id]
    rows = [
        {
            "rating": r,
            "star": star_text(r.star),
            "editable": not evaluation.is_public and services.may_rate_as_branch(request.user, r),
        }
        for r in ratings
    ]
    context = {
        "page_title": "星级党员评定",
        "breadcrumbs": _crumbs(
            (str(evaluation), reverse("assessment:annual_detail", args=[pk])), ("星级党员", None)
        ),
        "evaluation": evaluation,
        "rows": rows,
        "branches": sorted(branches.values(), key=lambda b: b.path),
        "branch_id": branch_id,
        "can_save": any(row["editable"] for row in rows),
        "errors": errors,
    }
    return render(request, "assessment/annual/star_members.html", context, status=status)


@require_http_methods(["GET", "POST"])
def star_member_self(request: HttpRequest) -> HttpResponse:
    """A member's own star-member ratings: enter the self score while not yet published."""
    _require(request.user, StarMemberRating)
    person = getattr(request.user, "person", None)
    ratings = (
        list(
            restrict(StarMemberRating.objects.filter(person=person), request.user, "view")
            .select_related("evaluation", "evaluation__party_org", "branch")
            .order_by("-evaluation__year")
        )
        if person is not None
        else []
    )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        rating_id = _int(request.POST.get("rating"))
        rating = next((r for r in ratings if r.pk == rating_id), None)
        if rating is None:
            raise Http404
        try:
            services.star_member_score_save(
                actor=request.user,
                rating_id=rating.pk,
                version=_int(request.POST.get("version")) or 0,
                self_score=request.POST.get("self_score", "").strip() or None,
            )
        except StaleVersion as exc:
            errors.append(str(exc))
            status = 409
        except ValidationError as exc:
            errors.extend(exc.messages)
            status = 400
        else:
            messages.success(request, "自评分已保存。")
            return redirect("assessment:star_member_self")
    context = {
        "page_title": "星级党员自评",
        "breadcrumbs": [(SECTION, None), ("星级党员自评", None)],
        "rows": [{"rating": r, "star": star_text(r.star)} for r in ratings],
        "errors": errors,
    }
    return render(request, "assessment/annual/self.html", context, status=status)


urlpatterns = [
    path("annual/", annual_list, name="annual_list"),
    path("annual/compute/", annual_compute, name="annual_compute"),
    path("annual/<int:pk>/", annual_detail, name="annual_detail"),
    path("annual/<int:pk>/publish/", annual_publish, name="annual_publish"),
    path("annual/<int:pk>/star-members/", star_members, name="star_members"),
    path("annual/star-member/mine/", star_member_self, name="star_member_self"),
]
