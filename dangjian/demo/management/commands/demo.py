"""``dangjian demo [--reset]``: load the demo mine from the article (see dangjian/demo/mine.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.demo.mine import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_mine


class Command(BaseCommand):
    help = "加载演示煤矿数据（钱营孜矿党委：15个支部、35个党小组、466名党员）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="先清空业务数据（组织、人员、账户；审计日志保留）再重新加载",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = load_demo_mine(reset=options["reset"])
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"演示数据已加载（{summary.seconds:.1f} 秒）：{summary.branches} 个党支部，"
                f"{summary.groups} 个党小组，{summary.teams} 个班队，{summary.persons} 名职工，"
                f"其中党员 {summary.members} 名。"
            )
        )
        print_accounts(self.stdout.write)


def print_accounts(write: Any) -> None:
    usernames = [username for username, *_ in DEMO_ACCOUNTS]
    write(f"演示账户：{', '.join(usernames[:7])} … {usernames[-2]}, {usernames[-1]}")
    write(f"演示密码（仅用于演示环境）：{DEMO_PASSWORD}")
