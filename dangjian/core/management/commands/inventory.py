"""``dangjian inventory [--check] [--output PATH]``: the personal-data inventory (PI-01, PI-02).

Without options it prints the inventory (``dangjian.core.inventory``) as Markdown, one table
per model with each field's level, the model's purpose and legal basis; ``--output`` writes it
to a file instead (``docs/privacy-inventory.md`` is that output).

``--check`` exits non-zero, listing every model field that the inventory does not classify and
every inventory entry that is no longer a field; CI runs it. It reads model metadata only: no
database is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core import inventory


class Command(BaseCommand):
    help = (
        "个人信息数据清单：输出各模型字段的分级（L1–L4）、用途和法律依据；"
        "--check 检查未分级或已失效的字段。"
    )
    requires_system_checks: list[str] = []  # model metadata only; runs without a database

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="检查每个模型字段都已分级、清单中没有已不存在的字段；不一致时以非零状态退出",
        )
        parser.add_argument(
            "--output", "-o", help=f"写入文件（如 {inventory.DOC_PATH}），不输出到屏幕"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            self.check_inventory()
            return
        text = inventory.as_markdown()
        if options["output"]:
            path = Path(options["output"])
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"已写入 {path}")
        else:
            self.stdout.write(text, ending="")

    def check_inventory(self) -> None:
        missing = inventory.unclassified()
        gone = inventory.stale()
        for name in missing:
            self.stderr.write(f"未分级：{name}")
        for name in gone:
            self.stderr.write(f"已失效：{name}")
        if missing or gone:
            raise CommandError(
                f"数据清单与模型不一致：{len(missing)} 个字段未分级，"
                f"{len(gone)} 个清单条目已不是字段。请在 dangjian/core/inventory.py 中"
                f"分级或删除，并重新生成 {inventory.DOC_PATH}。"
            )
        models = inventory.dangjian_models()
        fields = sum(len(inventory.field_names(m)) for m in models)
        counts = "，".join(f"{lv.code} {n}" for lv, n in inventory.level_counts().items())
        self.stdout.write(
            self.style.SUCCESS(
                f"数据清单完整：{len(models)} 个模型、{fields} 个字段均已分级（{counts}）。"
            )
        )
