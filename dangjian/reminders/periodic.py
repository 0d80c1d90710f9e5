"""The to-do centre's periodic refresh: enqueued every hour for the task worker."""

from __future__ import annotations

from dangjian.core.registries import register_periodic


@register_periodic("reminders.refresh", every_minutes=60)
def enqueue_refresh() -> None:
    from dangjian.reminders.tasks import refresh_task

    refresh_task.enqueue(None)
