"""To-do centre pages: "我的待办" (open reminders of my scope, my notifications, mark read) and
the header bell (an HTMX fragment loaded once per page; it never polls, so that it cannot keep
an idle session alive against SESS-01)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from dangjian.core.listing import paginate_sorted
from dangjian.core.scope import has_permission
from dangjian.reminders import selectors, services
from dangjian.reminders.models import Notification, Reminder

SORT = {"due": "due_on", "level": "level_order", "category": "category", "title": "title"}


def _require(user: Any) -> None:
    if not has_permission(user, Reminder, "view"):
        raise PermissionDenied("您没有查看待办提醒的权限。")


@require_GET
def todo(request: HttpRequest) -> HttpResponse:
    _require(request.user)
    filters = {key: request.GET.get(key, "").strip()[:100] for key in ("q", "level", "category")}
    filters["state"] = request.GET.get("state", "open")
    if filters["state"] not in ("open", "resolved", "all"):
        filters["state"] = "open"
    qs = selectors.reminder_list(user=request.user, **filters)
    listing = paginate_sorted(request, qs, sortable=SORT, default_sort="level")
    notifications = list(
        selectors.notification_list(user=request.user, unread_only=True).filter(
            reminder__resolved_at__isnull=True
        )[:20]
    )
    context = {
        "listing": listing,
        "rows": list(listing.object_list),
        "filters": filters,
        "levels": Reminder.Level.choices,
        "categories": selectors.reminder_categories(user=request.user),
        "notifications": notifications,
        "page_title": "我的待办",
        "breadcrumbs": [("我的待办", "")],
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "todo-results":
        return render(request, "reminders/todo.html#results", context)
    return render(request, "reminders/todo.html", context)


@require_GET
def bell(request: HttpRequest) -> HttpResponse:
    return render(
        request, "reminders/bell.html", {"unread": selectors.unread_count(user=request.user)}
    )


@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    if not has_permission(request.user, Notification, "view"):
        raise PermissionDenied("您没有查看通知的权限。")
    if not selectors.notification_list(user=request.user).filter(pk=pk).exists():
        raise Http404
    services.notification_mark_read(actor=request.user, notification_id=pk)
    if getattr(request, "htmx", False):
        return HttpResponse("")
    return redirect("reminders:todo")


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    if not has_permission(request.user, Notification, "view"):
        raise PermissionDenied("您没有查看通知的权限。")
    services.notification_mark_read(actor=request.user)
    return redirect("reminders:todo")
