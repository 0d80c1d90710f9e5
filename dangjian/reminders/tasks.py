"""The periodic job of the to-do centre (run by the django-tasks worker or ``dangjian
reminders`` from cron)."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from dangjian.core import context
from dangjian.core.scope import SYSTEM


@task()
def refresh_task(today: str | None = None) -> str:
    from dangjian.reminders.services import reminders_refresh

    with context.acting_as(SYSTEM, channel="job"):
        day = dt.date.fromisoformat(today) if today else None
        return reminders_refresh(day).summary()
