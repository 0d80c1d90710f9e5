"""API: member development (``/api/v1/development/``): cases, their steps, completing a step.

Reads go through ``development.selectors`` (scoped: out of scope is 404), the step is completed
through ``development.services.step_complete`` with the same rules as the pages (422 with the
field and the Chinese message, e.g. the earliest date, when a rule refuses it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
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
from dangjian.core.scope import has_permission, restrict
from dangjian.development import selectors, services
from dangjian.development.models import DevelopmentCase, StepRecord, StepRule

router = Router(tags=["发展党员"])


class CaseOut(Schema):
    id: int
    person_id: int
    person_name: str
    employee_no: str
    branch_id: int
    branch_name: str
    state: str
    current_stage: int
    current_stage_name: str
    last_step: int
    next_step: int | None
    next_earliest: dt.date | None
    next_latest: dt.date | None
    overdue: bool
    extension_months: int | None

    @staticmethod
    def resolve_person_name(obj: DevelopmentCase) -> str:
        return obj.person.name

    @staticmethod
    def resolve_employee_no(obj: DevelopmentCase) -> str:
        return obj.person.employee_no

    @staticmethod
    def resolve_branch_name(obj: DevelopmentCase) -> str:
        return obj.branch.name

    @staticmethod
    def resolve_current_stage_name(obj: DevelopmentCase) -> str:
        return str(obj.get_current_stage_display())

    @staticmethod
    def resolve_overdue(obj: DevelopmentCase) -> bool:
        return bool(obj.next_latest and obj.next_latest < timezone.localdate())


class CasePage(Schema):
    items: list[CaseOut]
    count: int


class StepOut(Schema):
    step: int
    name: str
    completed_on: dt.date
    started_on: dt.date | None
    hours: int | None
    on_time: bool
    late_reason: str
    note: str
    recorder_name: str
    documents: list[str]

    @staticmethod
    def resolve_name(obj: StepRecord) -> str:
        return getattr(obj, "_step_name", "")

    @staticmethod
    def resolve_documents(obj: StepRecord) -> list[str]:
        return [d.original_name for d in obj.documents.all()]


class DueOut(Schema):
    step: int
    name: str
    earliest: dt.date | None
    latest: dt.date | None
    hard_latest: dt.date | None


class CaseDetailOut(CaseOut):
    steps: list[StepOut]
    due: list[DueOut]
    probation_end: dt.date | None

    @staticmethod
    def resolve_steps(obj: DevelopmentCase) -> list[StepRecord]:
        return list(getattr(obj, "steps_out", []))

    @staticmethod
    def resolve_due(obj: DevelopmentCase) -> list[dict[str, Any]]:
        return list(getattr(obj, "due_out", []))

    @staticmethod
    def resolve_probation_end(obj: DevelopmentCase) -> dt.date | None:
        return getattr(obj, "probation_end_out", None)


class CaseFilters(PageParams):
    q: Text = Field("", max_length=50, description="姓名或工号")
    branch: int | None = Field(None, ge=1, le=MAX_ID, description="党组织ID（含下级）")
    stage: int | None = Field(None, ge=1, le=5, description="阶段（1–5）")
    state: str = Field(
        "active", pattern=r"^(active|completed|withdrawn|revoked|)$", description="状态，空为全部"
    )
    overdue: bool | None = Field(None, description="仅超期 / 仅未超期")


class StepIn(Schema):
    step: int = Field(ge=1, le=100, description="步骤编号")
    completed_on: dt.date = Field(description="完成日期")
    started_on: dt.date | None = Field(None, description="开始日期（集中培训）")
    hours: int | None = Field(None, ge=0, le=10_000, description="学时（集中培训）")
    note: Text = Field("", max_length=500)
    late_reason: Text = Field("", max_length=300, description="超过期限时必填")


class StepRuleOut(Schema):
    number: int
    stage: int
    name: str
    responsible: str
    documents: list[str]
    predecessors: list[int]
    interval_from: int | None
    interval_unit: str
    min_interval: int | None
    max_interval: int | None
    hard_max_interval: int | None
    min_days: int | None
    min_hours: int | None
    min_age_years: int | None
    sets_status: str
    source: str

    @staticmethod
    def resolve_documents(obj: StepRule) -> list[str]:
        return obj.document_list


def _require(user: Any, model: type, action: str) -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有执行此操作的权限。")


def _case(user: Any, case_id: int, action: str = "view") -> DevelopmentCase:
    case = selectors.case_get(user=user, pk=case_id, action=action)
    if case is None:
        raise Http404
    return case


def _steps(user: Any, case: DevelopmentCase) -> list[StepRecord]:
    names = dict(StepRule.objects.values_list("number", "name"))
    records = list(
        restrict(StepRecord.objects.filter(case=case), user, "view")
        .prefetch_related("documents")
        .order_by("step")
    )
    for record in records:
        record._step_name = names.get(record.step, "")  # type: ignore[attr-defined]
    return records


@router.get(
    "/cases", response={200: CasePage, **error_responses(*READ_ERRORS)}, summary="发展党员档案列表"
)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, DevelopmentCase, "view")
    qs: QuerySet[DevelopmentCase] = selectors.case_list(
        user=user,
        q=filters.q,
        branch=filters.branch,
        stage=filters.stage,
        state=filters.state,
        overdue=filters.overdue,
    )
    return paginate(qs.order_by("branch__path", "pk"), filters)


@router.get(
    "/cases/{int:case_id}",
    response={200: CaseDetailOut, **error_responses(*DETAIL_ERRORS)},
    summary="发展党员档案详情（步骤与下一步）",
)
def get_case(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID)) -> DevelopmentCase:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, DevelopmentCase, "view")
    case = _case(user, case_id)
    timeline = selectors.case_timeline(user=user, case=case)
    case.steps_out = _steps(user, case)  # type: ignore[attr-defined]
    case.due_out = [  # type: ignore[attr-defined]
        {
            "step": w.rule.number,
            "name": w.rule.name,
            "earliest": w.earliest,
            "latest": w.latest,
            "hard_latest": w.hard_latest,
        }
        for w in timeline.due
    ]
    case.probation_end_out = timeline.probation_end  # type: ignore[attr-defined]
    return case


@router.get(
    "/cases/{int:case_id}/steps",
    response={200: list[StepOut], **error_responses(*DETAIL_ERRORS)},
    summary="已完成的发展步骤",
)
def list_steps(request: HttpRequest, case_id: int = Path(..., ge=1, le=MAX_ID)) -> list[StepRecord]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, DevelopmentCase, "view")
    return _steps(user, _case(user, case_id))


@router.post(
    "/cases/{int:case_id}/steps",
    response={201: StepOut, **error_responses(401, 403, 404, 422, 429)},
    summary="登记完成一个发展步骤（按步骤规则校验）",
)
def complete_step(
    request: HttpRequest, payload: StepIn, case_id: int = Path(..., ge=1, le=MAX_ID)
) -> Status[StepRecord]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, StepRecord, "add")
    case = _case(user, case_id, "change")
    record = services.step_complete(
        actor=user,
        case_id=case.pk,
        step=payload.step,
        completed_on=payload.completed_on,
        started_on=payload.started_on,
        hours=payload.hours,
        note=payload.note,
        late_reason=payload.late_reason,
    )
    created = next(r for r in _steps(user, case) if r.pk == record.pk)
    return Status(201, created)


@router.get(
    "/rules/steps",
    response={200: list[StepRuleOut], **error_responses(*READ_ERRORS)},
    summary="发展党员步骤规则（25步）",
)
def list_step_rules(request: HttpRequest) -> QuerySet[StepRule]:
    user = request.auth  # type: ignore[attr-defined]
    _require(user, StepRule, "view")
    return selectors.step_rule_list()
