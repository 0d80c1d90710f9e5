"""``dangjian purge_exports``: delete export and stale import files past their time to live.

PI-05 / RIP-02: files in the private export and import directories older than the rule
``security.export_ttl_hours`` are removed. Run it hourly from cron or a systemd timer.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from dangjian.core.exports import export_purge
from dangjian.core.rules import rule


class Command(BaseCommand):
    help = "删除超过保留时长的导出文件和遗留的导入文件（security.export_ttl_hours）。"

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        removed = export_purge(now)
        ttl = dt.timedelta(hours=int(rule("security.export_ttl_hours")))
        imports = Path(settings.PRIVATE_DIR) / "imports"
        stale = 0
        if imports.is_dir():
            for path in imports.glob("*.xlsx"):
                modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
                if now - modified > ttl:
                    path.unlink(missing_ok=True)
                    stale += 1
        self.stdout.write(f"已删除导出文件 {removed} 个，遗留导入文件 {stale} 个。")
