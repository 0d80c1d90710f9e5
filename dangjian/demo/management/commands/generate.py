"""``dangjian generate --persons N --seed S [--orgs M] [--reset]``: deterministic scale data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.demo.synthetic import BENCH_ACCOUNTS, content_digest, generate


class Command(BaseCommand):
    help = "生成可复现的规模测试数据（同一种子生成相同内容）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--persons", type=int, required=True, help="人员数量")
        parser.add_argument("--seed", type=int, default=1, help="随机种子（默认 1）")
        parser.add_argument("--orgs", type=int, default=None, help="组织数量（默认 人员数/20）")
        parser.add_argument("--reset", action="store_true", help="先清空业务数据（审计日志保留）")
        parser.add_argument("--digest", action="store_true", help="完成后输出内容摘要")
        parser.add_argument("--no-accounts", action="store_true", help="不创建基准测试账户")

    def handle(self, *args: Any, **options: Any) -> None:
        persons = options["persons"]
        if persons < 1:
            raise CommandError("--persons 必须为正整数。")
        if options["orgs"] is not None and options["orgs"] < 5:
            raise CommandError("--orgs 至少为 5。")
        try:
            result = generate(
                persons=persons,
                seed=options["seed"],
                orgs=options["orgs"],
                reset=options["reset"],
                progress=lambda message: self.stdout.write(message),
                accounts=not options["no_accounts"],
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {result['persons']} 名人员、{result['orgs']} 个组织、"
                f"{result['units']} 个单位，用时 {result['seconds']} 秒。"
            )
        )
        if not options["no_accounts"]:
            self.stdout.write(f"基准测试账户：{', '.join(BENCH_ACCOUNTS)}（密码同演示密码）")
        if options["digest"]:
            self.stdout.write(f"digest {content_digest()}")
