"""Reads of the to-do centre, always through ``restrict``: open reminders of the user's scope,
and the notifications addressed to the user (whose reminders must be in scope as well)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from dangjian.core.scope import has_permission, restrict
from dangjian.reminders.models import Notification, Reminder

LEVEL_ORDER = Case(
    When(level="red", then=Value(0)),
    When(level="yellow", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def reminder_list(
    *,
    user: Any,
    q: str = "",
    level: str = "",
    category: str = "",
    state: str = "open",
) -> QuerySet[Reminder]:
    qs = restrict(Reminder.objects.all(), user, "view").select_related("org", "person")
    if state == "open":
        qs = qs.filter(resolved_at__isnull=True)
    elif state == "resolved":
        qs = qs.filter(resolved_at__isnull=False)
    if level in Reminder.Level.values:
        qs = qs.filter(level=level)
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(title__contains=q)
    return qs.annotate(level_order=LEVEL_ORDER)


def reminder_categories(*, user: Any) -> list[str]:
    return sorted(
        set(
            restrict(Reminder.objects.all(), user, "view")
            .filter(resolved_at__isnull=True)
            .values_list("category", flat=True)
            .distinct()
        )
    )


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    qs = (
        restrict(Notification.objects.all(), user, "view")
        .filter(user_id=getattr(user, "pk", None) or 0)
        .select_related("reminder", "reminder__org")
    )
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(*, user: Any) -> int:
    if not getattr(user, "is_authenticated", False) or not has_permission(
        user, Notification, "view"
    ):
        return 0
    return (
        notification_list(user=user, unread_only=True)
        .filter(reminder__resolved_at__isnull=True)
        .count()
    )


def todo_summary(*, user: Any, limit: int = 8) -> dict[str, Any]:
    """For the home page: the most urgent open reminders of the user's scope and the counts.

    The home page shows only title, date, level and link of each item, so only those columns
    are read (no organisation or person columns), and no item query runs when the
    scope has no open reminder: the home page is the most visited page."""
    if not has_permission(user, Reminder, "view"):
        return {"items": [], "count": 0, "red": 0}
    from django.db.models import Count, Q

    qs = restrict(Reminder.objects.all(), user, "view").filter(resolved_at__isnull=True)
    counts = qs.aggregate(count=Count("id"), red=Count("id", filter=Q(level="red")))
    items: list[Reminder] = []
    if counts["count"]:
        items = list(
            qs.only("title", "due_on", "level", "url")
            .annotate(level_order=LEVEL_ORDER)
            .order_by("level_order", "due_on", "pk")[:limit]
        )
    return {"items": items, "count": counts["count"], "red": counts["red"]}
