"""``dangjian backup create|drill``: encrypted backups and the automated restore drill.

create [--output DIR]
        a consistent snapshot of the whole database, SM4-GCM encrypted under the backup key
        (``DANGJIAN_BACKUP_KEY_FILE``), into ``DIR`` (default ``DANGJIAN_BACKUP_DIR``).
drill FILE [--key-file F] [--field-key-file F]
        restores FILE into a scratch database and checks it: structure, row counts, audit
        chain and its last record, sampled sealed values decrypt with the backed-up field keys;
        prints each check with the recovery time; exits non-zero when any check fails.
restore FILE [--key-file F] [--replace]
        recovery, with the application stopped: restores FILE into the configured database and
        PRIVATE_DIR, then runs the drill's checks on the result with the configured field keys.
check-restored MANIFEST
        (internal) the drill's checks, run in a process started on the scratch database.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dangjian.core import context
from dangjian.core.backup import (
    BackupError,
    Manifest,
    backup_create,
    backup_restore,
    check_restored,
    restore_drill,
)
from dangjian.core.scope import SYSTEM


class Command(BaseCommand):
    help = "备份：create 创建加密备份；drill 恢复演练（恢复到临时库并校验）。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{create,drill,restore}")
        create = sub.add_parser("create", help="创建加密备份（整库一致快照）")
        create.add_argument("--output", "-o", help="备份目录（默认 DANGJIAN_BACKUP_DIR）")
        drill = sub.add_parser("drill", help="恢复演练：恢复到临时库并逐项校验")
        drill.add_argument("file", help="备份文件 (.djbak)")
        drill.add_argument("--key-file", help="备份密钥文件（默认 DANGJIAN_BACKUP_KEY_FILE）")
        drill.add_argument(
            "--field-key-file", help="随备份保管的字段加密密钥文件（默认 DANGJIAN_KEY_FILE）"
        )
        restore = sub.add_parser(
            "restore", help="恢复（须先停止应用）：恢复到当前配置的数据库并校验"
        )
        restore.add_argument("file", help="备份文件 (.djbak)")
        restore.add_argument("--key-file", help="备份密钥文件（默认 DANGJIAN_BACKUP_KEY_FILE）")
        restore.add_argument(
            "--replace", action="store_true", help="SQLite：替换已有数据库（原文件改名保留）"
        )
        check = sub.add_parser("check-restored", help=argparse.SUPPRESS)
        check.add_argument("manifest")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        with context.acting_as(SYSTEM, channel="cli"):
            try:
                getattr(self, f"do_{action}")(options)
            except BackupError as exc:
                raise CommandError(str(exc)) from exc

    def do_create(self, options: dict[str, Any]) -> None:
        output = Path(options["output"]) if options.get("output") else None
        result = backup_create(output, actor=SYSTEM)
        rows = sum(result.manifest.counts.values())
        self.stdout.write(
            f"已创建备份 {result.path}（{result.size / 1048576:.1f} MB，"
            f"{len(result.manifest.counts)} 张表，{rows} 行）。"
        )

    def do_drill(self, options: dict[str, Any]) -> None:
        def path(key: str) -> Path | None:
            return Path(options[key]) if options.get(key) else None

        report = restore_drill(
            Path(options["file"]),
            key_file=path("key_file"),
            field_key_file=path("field_key_file"),
            actor=SYSTEM,
            progress=lambda step: self.stdout.write(f"… {step}"),
        )
        self._print(report)
        if not report.ok:
            raise CommandError("恢复演练未通过。")
        self.stdout.write("恢复演练通过。")

    def do_restore(self, options: dict[str, Any]) -> None:
        report = backup_restore(
            Path(options["file"]),
            key_file=Path(options["key_file"]) if options.get("key_file") else None,
            replace=options["replace"],
            actor=SYSTEM,
            progress=lambda step: self.stdout.write(f"… {step}"),
        )
        self._print(report)
        if not report.ok:
            raise CommandError("恢复后的校验未通过，请查看上面的失败项。")
        self.stdout.write(f"恢复完成（备份时点 {report.created_at}）。")

    def _print(self, report: Any) -> None:
        for check in report.checks:
            self.stdout.write(f"{'通过' if check.ok else '失败'}  {check.name}：{check.detail}")
        self.stdout.write(
            f"恢复用时（RTO）{report.rto_seconds:.1f} 秒；备份时点距今（RPO）"
            f"{report.rpo_seconds / 60:.1f} 分钟。"
        )

    def do_check_restored(self, options: dict[str, Any]) -> None:
        manifest = Manifest(**json.loads(Path(options["manifest"]).read_text()))
        checks = check_restored(manifest)
        self.stdout.write(json.dumps([asdict(c) for c in checks], ensure_ascii=False))
