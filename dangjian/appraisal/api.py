"""API: democratic appraisal (``/api/v1/appraisal/``): rounds, grading sheet, grades.

Reads through ``appraisal.selectors`` (scoped), writes through ``appraisal.services``; an
out-of-scope round is a 404 like a missing one. The 优秀 cap answers 422 with its message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from dangjian.appraisal import selectors, services
from dangjian.appraisal.models import AppraisalRound
from dangjian.core.api_auth import (
    DETAIL_ERRORS,
    MAX_ID,
    READ_ERRORS,
    PageParams,
    Text,
    error_responses,
    paginate,
)
from dangjian.core.scope import has_permission

router = Router(tags=["民主评议"])

GradeCode = Literal["", "excellent", "qualified", "basic", "unqualified"]
StateCode = Literal["draft", "self", "evaluation", "closed"]


class RoundOut(Schema):
    id: int
    branch_id: int
    branch_name: str
    year: int
    state: str
    state_name: str
    appraised: int = 0
    graded: int = 0
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_branch_name(obj: AppraisalRound) -> str:
        return obj.branch.name

    @staticmethod
    def resolve_state_name(obj: AppraisalRound) -> str:
        return str(obj.get_state_display())


class RoundPage(Schema):
    items: list[RoundOut]
    count: int


class EntryOut(Schema):
    id: int
    person_id: int
    name: str
    self_submitted: bool
    peer_votes: dict[str, int]
    masses_votes: dict[str, int]
    grade: str


class SheetOut(Schema):
    round: RoundOut
    excellent_cap: int
    entries: list[EntryOut]


class RoundFilters(PageParams):
    year: int | None = Field(None, ge=2000, le=2100, description="年度")
    q: Text = Field("", max_length=50, description="党支部名称")
    state: StateCode | None = Field(None, description="阶段")


class RoundIn(Schema):
    branch: int = Field(ge=1, le=MAX_ID, description="党支部ID")
    year: int = Field(ge=2000, le=2100, description="年度")
    note: Text = Field("", max_length=300)


class GradeIn(Schema):
    entry: int = Field(ge=1, le=MAX_ID, description="评议对象ID")
    grade: GradeCode = Field(description="评定等次（空=清除）")


class GradesIn(Schema):
    grades: list[GradeIn] = Field(max_length=5000)


def _require(user: Any, action: str) -> None:
    if not has_permission(user, AppraisalRound, action):
        raise PermissionDenied("您没有执行此操作的权限。")


def _round(user: Any, pk: int, action: str = "view") -> AppraisalRound:
    rnd = selectors.round_list(user=user, action=action).filter(pk=pk).first()
    if rnd is None:
        raise Http404
    return rnd


def _sheet(user: Any, rnd: AppraisalRound) -> dict[str, Any]:
    from dangjian.appraisal.models import Grade
    from dangjian.appraisal.rules import excellent_cap

    sheet = selectors.grading_sheet(user=user, rnd=rnd)
    return {
        "round": rnd,
        "excellent_cap": excellent_cap(len(sheet)),
        "entries": [
            {
                "id": row.entry.pk,
                "person_id": row.entry.person_id,
                "name": row.entry.person.name,
                "self_submitted": row.entry.self_submitted_at is not None,
                "peer_votes": dict(zip(Grade.values, row.tally.peer_cells, strict=True)),
                "masses_votes": dict(zip(Grade.values, row.tally.masses_cells, strict=True)),
                "grade": row.entry.grade,
            }
            for row in sheet
        ],
    }


@router.get(
    "/rounds", response={200: RoundPage, **error_responses(*READ_ERRORS)}, summary="民主评议列表"
)
def list_rounds(request: HttpRequest, filters: Query[RoundFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "view")
    qs = selectors.round_list(
        user=user, year=filters.year, q=filters.q, state=filters.state or ""
    ).order_by("-year", "branch__path", "pk")
    return paginate(qs, filters)


@router.get(
    "/rounds/{int:round_id}",
    response={200: SheetOut, **error_responses(*DETAIL_ERRORS)},
    summary="民主评议评定表",
)
def get_round(request: HttpRequest, round_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "view")
    return _sheet(user, _round(user, round_id))


@router.post(
    "/rounds",
    response={201: RoundOut, **error_responses(401, 403, 422, 429)},
    summary="发起民主评议",
)
def create_round(request: HttpRequest, payload: RoundIn) -> Status[AppraisalRound]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "add")
    rnd = services.round_create(
        actor=user, branch_id=payload.branch, year=payload.year, note=payload.note
    )
    return Status(201, _round(user, rnd.pk))


@router.get(
    "/rounds/{int:round_id}/state",
    response={200: RoundOut, **error_responses(*DETAIL_ERRORS)},
    summary="评议阶段",
)
def get_state(request: HttpRequest, round_id: int = Path(..., ge=1, le=MAX_ID)) -> AppraisalRound:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "view")
    return _round(user, round_id)


@router.post(
    "/rounds/{int:round_id}/state",
    response={200: RoundOut, **error_responses(401, 403, 404, 422, 429)},
    summary="进入下一阶段",
)
def advance_round(
    request: HttpRequest, round_id: int = Path(..., ge=1, le=MAX_ID)
) -> AppraisalRound:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "change")
    rnd = _round(user, round_id, "change")
    services.round_advance(actor=user, round_id=rnd.pk)
    return _round(user, rnd.pk)


@router.get(
    "/rounds/{int:round_id}/grades",
    response={200: SheetOut, **error_responses(*DETAIL_ERRORS)},
    summary="评定等次（同评定表）",
)
def get_grades(request: HttpRequest, round_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "view")
    return _sheet(user, _round(user, round_id))


@router.put(
    "/rounds/{int:round_id}/grades",
    response={200: SheetOut, **error_responses(401, 403, 404, 422, 429)},
    summary="评定等次（优秀不超过参评党员的三分之一）",
)
def set_grades(
    request: HttpRequest, payload: GradesIn, round_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, "change")
    rnd = _round(user, round_id, "change")
    services.grades_set(
        actor=user, round_id=rnd.pk, grades={g.entry: g.grade for g in payload.grades}
    )
    return _sheet(user, _round(user, rnd.pk))
