"""``dangjian up [--port P] [--host H]``: migrate, collect static files, load the demo mine
into an empty database, print the address and demo password, then serve (gunicorn + worker)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from dangjian.core.management.commands.serve import add_server_arguments, plan_from_options
from dangjian.demo.mine import DEMO_PASSWORD, load_demo_mine
from dangjian.demo.ops import run_servers, should_load_demo


class Command(BaseCommand):
    help = "一条命令启动：迁移数据库、加载演示数据（空库时）、以生产服务器提供服务"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        add_server_arguments(parser)
        parser.add_argument("--no-demo", action="store_true", help="空库时也不加载演示数据")

    def handle(self, *args: Any, **options: Any) -> None:
        plan = plan_from_options(options)
        self.stdout.write("正在迁移数据库 …")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        demo = False
        if not options["no_demo"] and should_load_demo():
            summary = load_demo_mine()
            demo = True
            self.stdout.write(
                f"已加载演示数据：{summary.branches} 个党支部、{summary.persons} 名职工、"
                f"{summary.members} 名党员（{summary.seconds:.1f} 秒）。"
            )
        self.stdout.write(self.style.SUCCESS(f"党建精细管控平台已启动：{plan.url}"))
        if demo or not options["no_demo"]:
            self.stdout.write(
                f"演示账户：shuji（党委）、zhenggong（政治工作部）、branch01…branch15（支部书记）、"
                f"member001（党员）、admin/secadmin/auditor（三员）；演示密码：{DEMO_PASSWORD}"
            )
        self.stdout.write("按 Ctrl-C 停止。")
        self.stdout.flush()
        run_servers(plan, self.stdout.write)
