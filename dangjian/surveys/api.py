"""API: satisfaction surveys (``/api/v1/surveys/``): list (scoped), detail with results, my open
surveys, and POST an anonymous response (same eligibility and one-response rule as the pages).

Results are given only for closed surveys and only above the minimum of respondents. A
response answers 201 with no id: nothing the client gets back identifies the answer sheet.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

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
from dangjian.surveys import selectors, services
from dangjian.surveys.models import Response, Survey

router = Router(tags=["满意度测评"])

StateCode = Literal["draft", "open", "closed"]
AudienceCode = Literal["members", "masses", "all"]


class SurveyOut(Schema):
    id: int
    title: str
    context: str
    subject_org_id: int
    subject_org_name: str
    subject_person_id: int | None
    audience: str
    opens_on: dt.date
    closes_on: dt.date
    state: str
    state_name: str
    min_respondents: int
    respondents: int = 0

    @staticmethod
    def resolve_subject_org_name(obj: Survey) -> str:
        return obj.subject_org.name

    @staticmethod
    def resolve_state_name(obj: Survey) -> str:
        return str(obj.get_state_display())


class SurveyPage(Schema):
    items: list[SurveyOut]
    count: int


class QuestionOut(Schema):
    id: int
    order: int
    text: str
    kind: str
    options: list[str]
    weight: float


class MySurveyOut(Schema):
    id: int
    title: str
    subject_org_name: str
    subject_person_name: str
    closes_on: dt.date
    answered: bool
    questions: list[QuestionOut]


class QuestionResultOut(Schema):
    question_id: int
    answered: int
    mean: float | None
    score: float | None
    distribution: list[int]
    choices: dict[str, int]
    texts: list[str]


class ResultsOut(Schema):
    visible: bool = Field(description="测评结束后才公布结果")
    respondents: int
    min_respondents: int
    counted: bool
    score: float | None = Field(description="总体满意度 0–100（不足最少参评人数时为空）")
    label: str
    questions: list[QuestionResultOut]


class SurveyDetailOut(Schema):
    survey: SurveyOut
    questions: list[QuestionOut]
    results: ResultsOut


class SurveyFilters(PageParams):
    q: Text = Field("", max_length=50, description="标题、组织或用途")
    state: StateCode | None = Field(None, description="状态")
    audience: AudienceCode | None = Field(None, description="参评对象")


AnswerKey = Annotated[str, Field(pattern=r"^[0-9]{1,18}$")]
AnswerValue = int | Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]


class ResponseIn(Schema):
    answers: dict[AnswerKey, AnswerValue] = Field(
        max_length=100, description="题目ID → 答案（1–5 分、所选项文字或意见文字）"
    )


class SubmittedOut(Schema):
    detail: str


def _require(user: Any, action: str = "view") -> None:
    if not has_permission(user, Survey, action):
        raise PermissionDenied("您没有访问满意度测评的权限。")


def _questions(survey: Survey) -> list[dict[str, Any]]:
    return [
        {
            "id": q.pk,
            "order": q.order,
            "text": q.text,
            "kind": q.kind,
            "options": [str(o) for o in q.options],
            "weight": float(q.weight),
        }
        for q in survey.questions.order_by("order")
    ]


@router.get("/", response={200: SurveyPage, **error_responses(*READ_ERRORS)}, summary="测评列表")
def list_surveys(request: HttpRequest, filters: Query[SurveyFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user)
    qs = selectors.survey_list(
        user=user, q=filters.q, state=filters.state or "", audience=filters.audience or ""
    ).order_by("-opens_on", "subject_org__path", "pk")
    return paginate(qs, filters)


@router.get(
    "/mine", response={200: list[MySurveyOut], **error_responses(401, 403, 429)}, summary="我的测评"
)
def my_surveys(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.auth  # type: ignore[attr-defined]
    if not has_permission(user, Response, "add"):
        raise PermissionDenied("您没有参加满意度测评的权限。")
    return [
        {
            "id": s.pk,
            "title": s.title,
            "subject_org_name": s.subject_org.name,
            "subject_person_name": s.subject_person.name if s.subject_person else "",
            "closes_on": s.closes_on,
            "answered": s.answered,  # type: ignore[attr-defined]
            "questions": _questions(s),
        }
        for s in selectors.my_surveys(user=user)[:100]
    ]


@router.get(
    "/{int:survey_id}",
    response={200: SurveyDetailOut, **error_responses(*DETAIL_ERRORS)},
    summary="测评详情与结果",
)
def get_survey(request: HttpRequest, survey_id: int = Path(..., ge=1, le=MAX_ID)) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user)
    survey = selectors.survey_list(user=user).filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    visible = selectors.results_visible(survey)
    result = selectors.survey_results(survey) if visible else None
    respondents = survey.respondents  # type: ignore[attr-defined]
    counted = respondents >= survey.min_respondents
    return {
        "survey": survey,
        "questions": _questions(survey),
        "results": {
            "visible": visible,
            "respondents": respondents,
            "min_respondents": survey.min_respondents,
            "counted": counted,
            "score": result.score if result and result.counted else None,
            "label": (
                "测评结束后公布"
                if result is None
                else (result.shortfall_label if not result.counted else "")
            ),
            "questions": [
                {
                    "question_id": row.question.pk,
                    "answered": row.answered,
                    "mean": row.mean,
                    "score": row.score,
                    "distribution": row.distribution,
                    "choices": dict(row.choices),
                    "texts": row.texts,
                }
                for row in (result.questions if result else [])
            ],
        },
    }


@router.post(
    "/{int:survey_id}/responses",
    response={201: SubmittedOut, **error_responses(401, 403, 404, 422, 429)},
    summary="提交匿名答卷（每人一次）",
)
def submit_response(
    request: HttpRequest, payload: ResponseIn, survey_id: int = Path(..., ge=1, le=MAX_ID)
) -> Status[dict[str, str]]:
    user = request.auth  # type: ignore[attr-defined]
    services.response_submit(actor=user, survey_id=survey_id, answers=payload.answers)
    return Status(201, {"detail": "答卷已匿名提交。"})
