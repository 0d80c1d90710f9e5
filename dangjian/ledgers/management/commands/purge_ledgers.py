"""``dangjian purge_ledgers``: delete generated ledger files past ``security.export_ttl_hours``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dangjian.ledgers.services import ledger_purge


class Command(BaseCommand):
    help = "删除超过保留时长的标准化台帐文件（security.export_ttl_hours）。"

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"已删除台帐文件 {ledger_purge()} 个。")
