"""``dangjian scheduler [--once]``: run the registered periodic jobs on their intervals.

``dangjian serve`` starts it beside gunicorn and the task worker. Jobs register with
``dangjian.core.registries.register_periodic`` (the to-do centre's daily refresh, purging
expired export files …); most only enqueue a django-tasks task, which the worker runs.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dangjian.core.registries import periodic_jobs

logger = logging.getLogger("dangjian.scheduler")
TICK_SECONDS = 20


class Command(BaseCommand):
    help = "按设定周期运行定时任务（提醒刷新、过期文件清理等）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="每个任务运行一次后退出")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = {"now": False}

        def on_signal(signum: int, frame: Any) -> None:
            stop["now"] = True

        if not options["once"]:
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        due: dict[str, float] = {}
        while not stop["now"]:
            now = time.monotonic()
            for job in periodic_jobs():
                if due.get(job.key, 0.0) <= now:
                    due[job.key] = now + job.every_minutes * 60
                    try:
                        job.func()
                        self.stdout.write(f"定时任务 {job.key} 已运行")
                    except Exception:  # one failing job must not stop the others
                        logger.exception("periodic job %s failed", job.key)
            if options["once"]:
                return
            time.sleep(TICK_SECONDS)
