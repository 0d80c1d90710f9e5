"""API: meetings (``/api/v1/meetings/``): list, detail, plan, check-in, attendance, compliance.

Same scopes as the pages: reads through ``orglife.selectors``, writes through
``orglife.services``; out of scope → 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError

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
from dangjian.orglife import selectors, services
from dangjian.orglife.models import Meeting, MeetingAttendance, MeetingType
from dangjian.orglife.periods import parse_period
from dangjian.orglife.selectors.compliance import compliance
from dangjian.orgs.models import PartyOrg

router = Router(tags=["组织生活"])


class MeetingOut(Schema):
    id: int
    title: str
    org_id: int
    org_name: str
    meeting_type: str
    meeting_type_name: str
    planned_at: dt.datetime
    held_on: dt.date
    period_start: dt.date
    period_end: dt.date
    location: str
    state: str
    invited_count: int
    present_count: int
    quorate: bool | None
    topic: str
    version: int

    @staticmethod
    def resolve_org_name(obj: Meeting) -> str:
        return obj.org.name

    @staticmethod
    def resolve_meeting_type(obj: Meeting) -> str:
        return obj.meeting_type.code

    @staticmethod
    def resolve_meeting_type_name(obj: Meeting) -> str:
        return obj.meeting_type.name


class AttendanceOut(Schema):
    person_id: int
    person_name: str
    status: str
    reason: str
    is_voting: bool
    method: str
    checked_in_at: dt.datetime | None

    @staticmethod
    def resolve_person_name(obj: MeetingAttendance) -> str:
        return obj.person.name


class MeetingDetailOut(MeetingOut):
    content: str
    resolutions: str
    speakers: str
    attendances: list[AttendanceOut]

    @staticmethod
    def resolve_attendances(obj: Meeting) -> list[MeetingAttendance]:
        return list(getattr(obj, "scoped_attendances", []))


class MeetingPage(Schema):
    items: list[MeetingOut]
    count: int


class MeetingFilters(PageParams):
    org: int | None = Field(None, ge=1, le=MAX_ID, description="党组织ID（含下级）")
    type: Text = Field("", max_length=40, description="会议类型代码")
    state: Text = Field("", max_length=10, description="状态")
    period: Text = Field("", max_length=10, description="周期：2026 / 2026-Q2 / 2026-05")


class MeetingIn(Schema):
    org: int = Field(ge=1, le=MAX_ID, description="党组织ID")
    meeting_type: Text = Field(min_length=1, max_length=40, description="会议类型代码")
    title: Text = Field(min_length=1, max_length=120)
    planned_at: dt.datetime
    location: Text = Field("", max_length=120)
    host: Text = Field("", max_length=40)
    period_date: dt.date | None = Field(None, description="计入周期内任一日期（补开）")


class CheckInIn(Schema):
    token: Text = Field(min_length=1, max_length=300, description="签到二维码中的令牌")


class CheckInOut(Schema):
    meeting_id: int
    status: str
    checked_in_at: dt.datetime | None
    created: bool


class AttendanceIn(Schema):
    person: int = Field(ge=1, le=MAX_ID)
    status: Text = Field(min_length=1, max_length=10, description="present / absent / leave")
    reason: Text = Field("", max_length=200)


class SlotOut(Schema):
    meeting_type: str
    meeting_type_name: str
    period: str
    period_start: dt.date
    period_end: dt.date
    status: str
    level: str
    meetings: list[int]


class ComplianceOut(Schema):
    org_id: int
    org_name: str
    level: str
    silent: bool
    last_activity: dt.date | None
    slots: list[SlotOut]


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _require(user: Any, model: Any, action: str) -> None:
    if not has_permission(user, model, action):
        raise PermissionDenied("您没有执行此操作的权限。")


def _meeting(user: Any, pk: int, action: str = "view") -> Meeting:
    meeting = selectors.meeting_get(user=user, pk=pk, action=action)
    if meeting is None:
        raise Http404
    return meeting


def _detail(user: Any, meeting: Meeting) -> Meeting:
    meeting.scoped_attendances = list(  # type: ignore[attr-defined]
        selectors.meeting_attendances(user=user, meeting=meeting)
    )
    return meeting


@router.get("/", response={200: MeetingPage, **error_responses(*READ_ERRORS)}, summary="会议列表")
def list_meetings(request: HttpRequest, filters: Query[MeetingFilters]) -> dict[str, Any]:
    user = _user(request)
    _require(user, Meeting, "view")
    org = None
    if filters.org:
        org = restrict(PartyOrg.objects.all(), user, "view").filter(pk=filters.org).first()
        if org is None:
            return {"items": [], "count": 0}
    period = None
    if filters.period:
        period = parse_period(filters.period)
        if period is None:
            raise ValidationError({"period": "周期格式应为 2026、2026-Q2 或 2026-05。"})
    qs = selectors.meeting_list(
        user=user, org=org, meeting_type=filters.type, state=filters.state, period=period
    )
    return paginate(qs.order_by("-planned_at", "-pk"), filters)


@router.get(
    "/compliance",
    response={200: list[ComplianceOut], **error_responses(*DETAIL_ERRORS)},
    summary="组织生活合规情况（按组织与月份）",
)
def compliance_status(
    request: HttpRequest,
    org: int = Query(..., ge=1, le=MAX_ID, description="党组织ID（含下级支部与党小组）"),
    month: str = Query("", max_length=7, description="月份 2026-05；留空为当前"),
) -> list[dict[str, Any]]:
    user = _user(request)
    _require(user, Meeting, "view")
    _require(user, PartyOrg, "view")
    root = restrict(PartyOrg.objects.all(), user, "view").filter(pk=org).first()
    if root is None:
        raise Http404
    at = None
    if month:
        chosen = parse_period(month)
        if chosen is None or chosen.kind != "month":
            raise ValidationError({"month": "月份格式应为 YYYY-MM。"})
        at = chosen.start
    orgs = restrict(PartyOrg.objects.all(), user, "view").filter(
        path__startswith=root.path,
        kind__in=(PartyOrg.Kind.BRANCH, PartyOrg.Kind.GROUP),
        dissolved_on__isnull=True,
    )
    items = compliance(orgs, today=timezone.localdate(), at=at)
    return [
        {
            "org_id": item.org_id,
            "org_name": item.name,
            "level": item.level,
            "silent": item.silent,
            "last_activity": item.last_activity,
            "slots": [
                {
                    "meeting_type": s.meeting_type.code,
                    "meeting_type_name": s.meeting_type.name,
                    "period": s.period.label,
                    "period_start": s.period.start,
                    "period_end": s.period.end,
                    "status": s.status,
                    "level": s.level,
                    "meetings": s.meetings,
                }
                for s in item.slots
            ],
        }
        for item in items
    ]


@router.post(
    "/checkin",
    response={200: CheckInOut, **error_responses(401, 403, 404, 410, 422, 429)},
    summary="扫码签到（本人）",
)
def check_in(request: HttpRequest, payload: CheckInIn) -> dict[str, Any]:
    user = _user(request)
    try:
        attendance, created = services.meeting_check_in(actor=user, token=payload.token)
    except services.SigninError as exc:
        raise HttpError(exc.status, exc.message) from exc
    return {
        "meeting_id": attendance.meeting_id,
        "status": attendance.status,
        "checked_in_at": attendance.checked_in_at,
        "created": created,
    }


@router.get(
    "/{int:meeting_id}",
    response={200: MeetingDetailOut, **error_responses(*DETAIL_ERRORS)},
    summary="会议详情（含参会情况）",
)
def get_meeting(request: HttpRequest, meeting_id: int = Path(..., ge=1, le=MAX_ID)) -> Meeting:
    user = _user(request)
    _require(user, Meeting, "view")
    return _detail(user, _meeting(user, meeting_id))


@router.post(
    "/",
    response={201: MeetingOut, **error_responses(401, 403, 404, 422, 429)},
    summary="计划会议",
)
def create_meeting(
    request: HttpRequest, payload: MeetingIn, response: HttpResponse
) -> Status[Meeting]:
    user = _user(request)
    _require(user, Meeting, "add")
    org = selectors.schedulable_orgs(user=user).filter(pk=payload.org).first()
    if org is None:
        raise ValidationError({"org": "所选党组织不存在或不在您的数据范围内。"})
    meeting_type = MeetingType.objects.filter(code=payload.meeting_type).first()
    if meeting_type is None:
        raise ValidationError({"meeting_type": "会议类型不存在。"})
    planned_at = payload.planned_at
    if timezone.is_naive(planned_at):
        planned_at = timezone.make_aware(planned_at)
    meeting = services.meeting_schedule(
        actor=user,
        org=org,
        meeting_type=meeting_type,
        title=payload.title,
        planned_at=planned_at,
        location=payload.location,
        host=payload.host,
        period_date=payload.period_date,
    )
    response["Location"] = f"{request.path.rstrip('/')}/{meeting.pk}"
    return Status(201, _meeting(user, meeting.pk))


@router.post(
    "/{int:meeting_id}/attendance",
    response={200: AttendanceOut, **error_responses(401, 403, 404, 422, 429)},
    summary="登记出席情况（书记代签、缺席、请假）",
)
def mark_attendance(
    request: HttpRequest, payload: AttendanceIn, meeting_id: int = Path(..., ge=1, le=MAX_ID)
) -> MeetingAttendance:
    user = _user(request)
    _require(user, MeetingAttendance, "change")
    meeting = _meeting(user, meeting_id, "change")
    attendance = services.attendance_mark(
        actor=user,
        meeting=meeting,
        person_id=payload.person,
        status=payload.status,
        reason=payload.reason,
    )
    return MeetingAttendance.objects.select_related("person").get(pk=attendance.pk)
