"""``dangjian serve [--port P] [--host H]``: serve with gunicorn and run the background-job
worker, loading nothing (see ``dangjian up`` for the one-command start with the demo mine)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.demo.ops import ServerPlan, default_workers, run_servers


def add_server_arguments(parser: CommandParser) -> None:
    parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn 进程数（默认按CPU）")
    parser.add_argument("--threads", type=int, default=4, help="每进程线程数（默认 4）")
    parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")


def plan_from_options(options: dict[str, Any]) -> ServerPlan:
    if not 0 < options["port"] < 65536:
        raise CommandError("端口必须在 1–65535 之间。")
    return ServerPlan(
        host=options["host"],
        port=options["port"],
        workers=options["workers"] or default_workers(),
        threads=max(1, options["threads"]),
        worker_process=not options["no_worker"],
    )


class Command(BaseCommand):
    help = "以生产服务器（gunicorn）提供服务并运行后台任务进程，不加载任何数据"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        add_server_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        plan = plan_from_options(options)
        self.stdout.write(f"服务地址：{plan.url}（按 Ctrl-C 停止）")
        self.stdout.flush()
        code = run_servers(plan, self.stdout.write)
        if code:
            raise CommandError(f"服务进程异常退出（{code}）。")
