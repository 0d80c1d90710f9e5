"""API: the to-do centre (``/api/v1/reminders/``): open reminders of the caller's scope and the
caller's own notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from dangjian.core.api_auth import READ_ERRORS, PageParams, Text, error_responses, paginate
from dangjian.core.scope import has_permission
from dangjian.reminders import selectors
from dangjian.reminders.models import Reminder

router = Router(tags=["提醒与待办"])


class ReminderOut(Schema):
    id: int
    key: str
    category: str
    title: str
    due_on: dt.date
    level: str
    org_id: int | None
    person_id: int | None
    url: str
    resolved_at: dt.datetime | None


class ReminderPage(Schema):
    items: list[ReminderOut]
    count: int


class ReminderFilters(PageParams):
    level: Literal["info", "yellow", "red"] | None = Field(None, description="级别")
    category: Text = Field("", max_length=40, description="类别")
    state: Literal["open", "resolved", "all"] = Field("open", description="状态")


class NotificationOut(Schema):
    id: int
    reminder: ReminderOut
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int


class NotificationFilters(PageParams):
    unread: bool = Field(False, description="只看未读")


@router.get("/", response={200: ReminderPage, **error_responses(*READ_ERRORS)}, summary="待办提醒")
def list_reminders(request: HttpRequest, filters: Query[ReminderFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    if not has_permission(user, Reminder, "view"):
        raise PermissionDenied("您没有查看待办提醒的权限。")
    qs = selectors.reminder_list(
        user=user, level=filters.level or "", category=filters.category, state=filters.state
    )
    return paginate(qs.order_by("level_order", "due_on", "pk"), filters)


@router.get(
    "/notifications",
    response={200: NotificationPage, **error_responses(*READ_ERRORS)},
    summary="我的通知",
)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> dict[str, Any]:
    user = request.auth  # type: ignore[attr-defined]
    if not has_permission(user, Reminder, "view"):
        raise PermissionDenied("您没有查看待办提醒的权限。")
    return paginate(selectors.notification_list(user=user, unread_only=filters.unread), filters)
