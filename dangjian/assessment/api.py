"""API: the assessment engine (``/api/v1/assessment/``): schemes, rounds, sheets, scores, results.

Reads through ``assessment.selectors.results`` (every queryset restricted: out of scope is a 404
like a missing row); writes call the services of the rounds area (``services.rounds``,
``services.sheets``). Optimistic locking: a sheet carries ``ETag: "<sheet version>.<max score
version>"``, a score ``ETag: "<version>"``; ``PATCH`` a score with ``If-Match`` or a ``version``
field (neither → 428); a stale version → 409 with ``current_version`` in the body.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

from dangjian.assessment.errors import StaleVersion
from dangjian.assessment.models import (
    AnnualEvaluation,
    AssessmentRound,
    AssessmentScheme,
    Category,
    Criterion,
    Score,
    ScoreSheet,
)
from dangjian.assessment.selectors import results as sel
from dangjian.core.api_auth import (
    DETAIL_ERRORS,
    MAX_ID,
    READ_ERRORS,
    PageParams,
    Text,
    error_responses,
    paginate,
)
from dangjian.core.scope import has_permission, restrict

router = Router(tags=["考核评价"])

RoundState = Literal["draft", "self_check", "scoring", "review", "notice", "objections", "final"]
_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


# --- shapes ---------------------------------------------------------------------------------


class CriterionOut(Schema):
    id: int
    code: str
    title: str
    standard: str
    max_points: Decimal
    method: str
    evidence_required: str
    evidence_methods: list[str]
    is_veto: bool
    is_bonus: bool
    indicator_key: str
    formula: dict[str, Any]


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    domain: str
    max_points: Decimal
    criteria: list[CriterionOut]


class SchemeOut(Schema):
    id: int
    party_org_id: int
    name: str
    year: int
    org_kind: str
    version: int
    state: str
    total_points: Decimal
    bonus_cap: Decimal
    published_at: dt.datetime | None


class SchemePage(Schema):
    items: list[SchemeOut]
    count: int


class SchemeDetailOut(SchemeOut):
    categories: list[CategoryOut]


class RoundOut(Schema):
    id: int
    party_org_id: int
    scheme_id: int
    name: str
    kind: str
    year: int
    quarter: int | None
    period_start: dt.date
    period_end: dt.date
    opens_on: dt.date
    closes_on: dt.date
    state: str
    state_name: str
    is_public: bool
    notice_starts_on: dt.date | None
    notice_ends_on: dt.date | None
    version: int

    @staticmethod
    def resolve_state_name(obj: AssessmentRound) -> str:
        return str(obj.get_state_display())


class RoundPage(Schema):
    items: list[RoundOut]
    count: int


class RoundFilters(PageParams):
    year: int | None = Field(None, ge=2000, le=2100, description="年度")
    state: RoundState | None = Field(None, description="阶段")


class AdvanceIn(Schema):
    to_state: RoundState = Field(description="目标阶段")


class SheetOut(Schema):
    id: int
    round_id: int
    branch_id: int
    branch_name: str
    total: Decimal | None = None
    base_total: Decimal | None = None
    bonus_total: Decimal | None = None
    category_totals: dict[str, Any] = {}
    rank: int | None = None
    star: int | None = None
    vetoed: bool = False
    veto_reason: str = ""
    is_model_site: bool = False
    version: int


class SheetPage(Schema):
    items: list[SheetOut]
    count: int


class SheetFilters(PageParams):
    round: int | None = Field(None, ge=1, le=MAX_ID, description="考核轮次ID")
    branch: int | None = Field(None, ge=1, le=MAX_ID, description="党支部ID")


class ScoreOut(Schema):
    id: int
    sheet_id: int
    criterion_id: int
    criterion_code: str
    self_points: Decimal | None
    self_note: str
    computed_value: float | None
    computed_points: Decimal | None
    computed_detail: str
    computed_records: list[Any]
    points: Decimal | None
    effective_points: Decimal | None
    deductions: list[Any]
    count_value: int | None
    reason: str
    override_reason: str
    evidence_methods: list[str]
    evidence_note: str
    record_links: list[Any]
    vetoed: bool
    reopened: bool
    scored_at: dt.datetime | None
    version: int

    @staticmethod
    def resolve_criterion_code(obj: Score) -> str:
        return obj.criterion.code

    @staticmethod
    def resolve_effective_points(obj: Score) -> Decimal | None:
        return sel.effective_points(obj)


class SheetDetailOut(SheetOut):
    scores: list[ScoreOut]


class DeductionIn(Schema):
    item: int = Field(ge=1, le=MAX_ID)
    times: int = Field(ge=0, le=1000)


class ScorePatch(Schema):
    version: int | None = Field(None, ge=1, le=2**31, description="读取时的版本号")
    points: Decimal | None = Field(None, ge=0, le=1000, max_digits=6, decimal_places=2)
    deductions: list[DeductionIn] | None = Field(None, max_length=200)
    count_value: int | None = Field(None, ge=0, le=100000)
    reason: Text = Field("", max_length=2000)
    override_reason: Text = Field("", max_length=2000)
    evidence_methods: list[
        Literal["report", "documents", "site", "website", "interview", "survey", "system"]
    ] = Field(default_factory=list, max_length=7)
    evidence_note: Text = Field("", max_length=2000)
    record_links: list[tuple[Text, int]] = Field(default_factory=list, max_length=200)
    vetoed: bool = False


class ConflictOut(Schema):
    detail: str
    current_version: int


class ResultRowOut(Schema):
    sheet_id: int
    branch_id: int
    branch_name: str
    rank: int | None
    total: Decimal | None
    category_totals: dict[str, Any]
    star: int | None
    vetoed: bool
    is_model_site: bool


class RoundResultsOut(Schema):
    round: RoundOut
    public: bool
    branches_total: int
    categories: list[dict[str, Any]]
    rows: list[ResultRowOut]


class AnnualResultOut(Schema):
    branch_id: int
    branch_name: str
    quarter_totals: dict[str, Any]
    score: Decimal
    rank: int | None
    star: int | None
    previous_star: int | None
    movement: int
    vetoed: bool


class AnnualOut(Schema):
    id: int
    party_org_id: int
    year: int
    state: str
    is_public: bool
    results: list[AnnualResultOut]


# --- helpers --------------------------------------------------------------------------------


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require(user: Any, model: type, action: str = "view") -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有执行此操作的权限。")


def _scheme_detail(user: Any, scheme: AssessmentScheme) -> dict[str, Any]:
    categories = restrict(Category.objects.filter(scheme=scheme), user, "view").order_by(
        "sort_order", "pk"
    )
    criteria = restrict(Criterion.objects.filter(category__scheme=scheme), user, "view").order_by(
        "sort_order", "pk"
    )
    by_category: dict[int, list[Criterion]] = {}
    for criterion in criteria:
        by_category.setdefault(criterion.category_id, []).append(criterion)
    data = SchemeOut.model_validate(scheme).model_dump()
    data["categories"] = [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "domain": c.domain,
            "max_points": c.max_points,
            "criteria": by_category.get(c.pk, []),
        }
        for c in categories
    ]
    return data


def _sheet_results_hidden(sheet: ScoreSheet, user: Any) -> bool:
    return not sel.results_visible(sheet.round, user)


RESULT_FIELDS = ("total", "base_total", "bonus_total", "rank", "star")


def _sheet_out(sheet: ScoreSheet, user: Any) -> dict[str, Any]:
    data = {
        "id": sheet.pk,
        "round_id": sheet.round_id,
        "branch_id": sheet.branch_id,
        "branch_name": sheet.branch_name,
        "version": sheet.version,
    }
    if not _sheet_results_hidden(sheet, user):
        data.update({f: getattr(sheet, f) for f in RESULT_FIELDS})
        data.update(
            category_totals=sheet.category_totals or {},
            vetoed=sheet.vetoed,
            veto_reason=sheet.veto_reason,
            is_model_site=sheet.is_model_site,
        )
    return data


def _scores(user: Any, sheet: ScoreSheet) -> list[Score]:
    return list(
        restrict(Score.objects.filter(sheet=sheet), user, "view")
        .select_related("criterion")
        .order_by("criterion__category__sort_order", "criterion__sort_order", "pk")
    )


def _sheet_etag(sheet: ScoreSheet, scores: list[Score]) -> str:
    latest = max((s.version for s in scores), default=0)
    return f'"{sheet.version}.{latest}"'


def _sheet(user: Any, pk: int) -> ScoreSheet:
    sheet = sel.sheet_get(user, pk)
    if sheet is None:
        raise Http404
    return sheet


def _score(user: Any, pk: int, action: str = "view") -> Score:
    score = (
        restrict(Score.objects.select_related("criterion", "sheet", "sheet__round"), user, action)
        .filter(pk=pk)
        .first()
    )
    if score is None:
        raise Http404
    return score


# --- schemes --------------------------------------------------------------------------------


@router.get(
    "/schemes", response={200: SchemePage, **error_responses(*READ_ERRORS)}, summary="考核方案列表"
)
def list_schemes(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    user = _user(request)
    _require(user, AssessmentScheme)
    return paginate(sel.schemes_visible(user).order_by("-year", "org_kind", "-version", "pk"), page)


@router.get(
    "/schemes/{int:scheme_id}",
    response={200: SchemeDetailOut, **error_responses(*DETAIL_ERRORS)},
    summary="考核方案（含大项和细则）",
)
def get_scheme(request: HttpRequest, scheme_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    user = _user(request)
    _require(user, AssessmentScheme)
    scheme = sel.schemes_visible(user).filter(pk=scheme_id).first()
    if scheme is None:
        raise Http404
    return _scheme_detail(user, scheme)


# --- rounds ---------------------------------------------------------------------------------


@router.get(
    "/rounds", response={200: RoundPage, **error_responses(*READ_ERRORS)}, summary="考核轮次列表"
)
def list_rounds(request: HttpRequest, filters: Query[RoundFilters]) -> dict[str, Any]:
    user = _user(request)
    _require(user, AssessmentRound)
    qs = sel.rounds_visible(user)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.state:
        qs = qs.filter(state=filters.state)
    return paginate(qs.order_by("-year", "-quarter", "-pk"), filters)


@router.get(
    "/rounds/{int:round_id}",
    response={200: RoundOut, **error_responses(*DETAIL_ERRORS)},
    summary="考核轮次",
)
def get_round(request: HttpRequest, round_id: int = Path(..., ge=1, le=MAX_ID)) -> AssessmentRound:
    user = _user(request)
    _require(user, AssessmentRound)
    rnd = sel.round_get(user, round_id)
    if rnd is None:
        raise Http404
    return rnd


@router.post(
    "/rounds/{int:round_id}/advance",
    response={200: RoundOut, **error_responses(401, 403, 404, 422, 429)},
    summary="推进考核阶段（进入公示即计算并公布结果）",
)
def advance_round(
    request: HttpRequest, payload: AdvanceIn, round_id: int = Path(..., ge=1, le=MAX_ID)
) -> AssessmentRound:
    from dangjian.assessment.services.rounds import round_advance

    user = _user(request)
    _require(user, AssessmentRound, "change")
    rnd = sel.rounds_visible(user, "change").filter(pk=round_id).first()
    if rnd is None:
        raise Http404
    round_advance(actor=user, round_id=rnd.pk, to_state=payload.to_state)
    fresh = sel.round_get(user, rnd.pk)
    if fresh is None:
        raise Http404
    return fresh


@router.get(
    "/rounds/{int:round_id}/results",
    response={200: RoundResultsOut, **error_responses(*DETAIL_ERRORS)},
    summary="考核结果排名",
)
def round_results(
    request: HttpRequest, round_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = _user(request)
    _require(user, ScoreSheet)
    rnd = sel.round_get(user, round_id)
    if rnd is None or not sel.results_visible(rnd, user):
        raise Http404
    results = sel.round_results(rnd, user)
    return {
        "round": rnd,
        "public": rnd.is_public,
        "branches_total": results.branches_total,
        "categories": [
            {"code": c.code, "name": c.name, "max_points": c.max_points} for c in results.categories
        ],
        "rows": [
            {
                "sheet_id": row.sheet.pk,
                "branch_id": row.sheet.branch_id,
                "branch_name": row.sheet.branch_name,
                "rank": row.sheet.rank,
                "total": row.sheet.total,
                "category_totals": row.sheet.category_totals or {},
                "star": row.sheet.star,
                "vetoed": row.sheet.vetoed,
                "is_model_site": row.sheet.is_model_site,
            }
            for row in results.rows
        ],
    }


# --- sheets and scores ----------------------------------------------------------------------


@router.get(
    "/sheets", response={200: SheetPage, **error_responses(*READ_ERRORS)}, summary="考核评分表列表"
)
def list_sheets(request: HttpRequest, filters: Query[SheetFilters]) -> dict[str, Any]:
    user = _user(request)
    _require(user, ScoreSheet)
    qs = sel.sheets_visible(user)
    if filters.round:
        qs = qs.filter(round_id=filters.round)
    if filters.branch:
        qs = qs.filter(branch_id=filters.branch)
    page = paginate(qs.order_by("-round__year", "-round_id", "branch__path", "pk"), filters)
    page["items"] = [_sheet_out(sheet, user) for sheet in page["items"]]
    return page


@router.get(
    "/sheets/{int:sheet_id}",
    response={200: SheetDetailOut, **error_responses(*DETAIL_ERRORS)},
    summary="考核评分表（含各款得分）",
)
def get_sheet(
    request: HttpRequest, response: HttpResponse, sheet_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = _user(request)
    _require(user, ScoreSheet)
    sheet = _sheet(user, sheet_id)
    scores = _scores(user, sheet)
    response["ETag"] = _sheet_etag(sheet, scores)
    return {**_sheet_out(sheet, user), "scores": scores}


@router.get(
    "/scores/{int:score_id}",
    response={200: ScoreOut, **error_responses(*DETAIL_ERRORS)},
    summary="单款得分",
)
def get_score(
    request: HttpRequest, response: HttpResponse, score_id: int = Path(..., ge=1, le=MAX_ID)
) -> Score:
    user = _user(request)
    _require(user, Score)
    score = _score(user, score_id)
    response["ETag"] = f'"{score.version}"'
    return score


@router.patch(
    "/scores/{int:score_id}",
    response={
        200: ScoreOut,
        409: ConflictOut,
        **error_responses(401, 403, 404, 412, 422, 428, 429),
    },
    summary="评分（乐观锁：If-Match 或 version）",
)
def patch_score(
    request: HttpRequest,
    payload: ScorePatch,
    response: HttpResponse,
    score_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    from dangjian.assessment.services.sheets import score_save

    user = _user(request)
    _require(user, Score, "change")
    score = _score(user, score_id, "change")
    if_match = request.headers.get("If-Match")
    if if_match is not None:
        match = _IF_MATCH.match(if_match)
        if match is None:
            raise HttpError(412, "If-Match 格式不正确，应为读取时的 ETag。")
        expected = int(match.group(1))
    elif payload.version is not None:
        expected = payload.version
    else:
        raise HttpError(428, "评分须提供 If-Match 请求头或 version 字段（读取时的版本号）。")
    data = payload.dict(exclude_unset=True)
    data.pop("version", None)
    kwargs: dict[str, Any] = {}
    for name in ("points", "count_value"):
        if name in data:
            kwargs[name] = data[name]
    if "deductions" in data and data["deductions"] is not None:
        kwargs["deductions"] = [
            {"item": d["item"], "times": d["times"]} for d in data["deductions"]
        ]
    for name in ("reason", "override_reason", "evidence_note", "vetoed"):
        if name in data:
            kwargs[name] = data[name]
    if "evidence_methods" in data:
        kwargs["evidence_methods"] = tuple(data["evidence_methods"])
    if "record_links" in data:
        kwargs["record_links"] = tuple((str(a), int(b)) for a, b in data["record_links"])
    try:
        score_save(actor=user, score_id=score.pk, version=expected, **kwargs)
    except StaleVersion as exc:
        return Status(409, {"detail": str(exc), "current_version": exc.current_version})
    fresh = _score(user, score.pk)
    response["ETag"] = f'"{fresh.version}"'
    return fresh


# --- annual results -------------------------------------------------------------------------


@router.get(
    "/annual/{int:evaluation_id}",
    response={200: AnnualOut, **error_responses(*DETAIL_ERRORS)},
    summary="年终总评结果",
)
def get_annual(
    request: HttpRequest, evaluation_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = _user(request)
    _require(user, AnnualEvaluation)
    evaluation = sel.annual_evaluations(user).filter(pk=evaluation_id).first()
    if evaluation is None:
        raise Http404
    return {
        "id": evaluation.pk,
        "party_org_id": evaluation.party_org_id,
        "year": evaluation.year,
        "state": evaluation.state,
        "is_public": evaluation.is_public,
        "results": sel.annual_results(evaluation, user),
    }


@router.get(
    "/annual",
    response={200: list[AnnualOut], **error_responses(*READ_ERRORS)},
    summary="年终总评列表（含结果）",
)
def list_annual(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    _require(user, AnnualEvaluation)
    evaluations = list(sel.annual_evaluations(user)[:20])
    return [
        {
            "id": e.pk,
            "party_org_id": e.party_org_id,
            "year": e.year,
            "state": e.state,
            "is_public": e.is_public,
            "results": sel.annual_results(e, user),
        }
        for e in evaluations
    ]
