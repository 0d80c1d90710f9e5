"""``dangjian reminders [--date YYYY-MM-DD] [--enqueue]``: compute the to-do list now.

Run it daily from cron (e.g. ``15 1 * * * dangjian reminders``); ``--enqueue`` hands the work to
the django-tasks worker started by ``dangjian serve`` instead of running it in this process.
Running it twice creates no duplicate reminders or notifications.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core import context
from dangjian.core.scope import SYSTEM


class Command(BaseCommand):
    help = "计算提醒与待办（可重复运行，不会产生重复提醒）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="按指定日期计算（YYYY-MM-DD，默认今天）")
        parser.add_argument("--enqueue", action="store_true", help="交给后台任务进程执行")

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("日期格式应为 YYYY-MM-DD。") from exc
        if options["enqueue"]:
            from dangjian.reminders.tasks import refresh_task

            refresh_task.enqueue(day.isoformat() if day else None)
            self.stdout.write("已提交后台任务。")
            return
        from dangjian.reminders.services import reminders_refresh

        with context.acting_as(SYSTEM, channel="cli"):
            result = reminders_refresh(day)
        self.stdout.write(result.summary())
