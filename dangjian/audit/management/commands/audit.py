"""``dangjian audit verify|purge|export``: check the hash chain, apply retention, export.

verify  prints "OK" with the number of records, or exits non-zero naming the first broken
        record and why (a change made directly in the database).
purge   deletes events older than the retention period (max of the setting and the rule,
        never below 184 days), records the purge in the chain.
export  writes the (filtered) log to an .xlsx file; the export itself is audited.
app-role NAME [--apply]
        PostgreSQL, run as the schema owner: prints (or applies) the grants that let role NAME
        run the application with SELECT and INSERT only on the audit table (AUD-04).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.audit.selectors import EXPORT_HEADERS, clean_filters, export_rows
from dangjian.audit.services import (
    PurgeRefused,
    audit_access_record,
    audit_purge,
    audit_purged_past,
    audit_record,
    audit_verify,
)
from dangjian.core import context
from dangjian.core.excel import write_xlsx
from dangjian.core.scope import SYSTEM


class Command(BaseCommand):
    help = "审计日志：verify 校验哈希链；purge 按保留期清理；export 导出为 Excel。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{verify,purge,export,app-role}"
        )
        verify = sub.add_parser("verify", help="校验审计哈希链，报告第一条被篡改或删除的记录")
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="ID:HASH",
            help="此前在库外记下的链头（可多次给出）：该记录须仍在且哈希不变，可发现整条链被重算",
        )
        purge = sub.add_parser("purge", help="删除超过保留期的审计记录（不少于184天）")
        purge.add_argument("--dry-run", action="store_true", help="只统计，不删除")
        export = sub.add_parser("export", help="导出审计日志为 .xlsx")
        export.add_argument("--output", "-o", required=True, help="输出文件路径 (.xlsx)")
        export.add_argument("--from", dest="date_from", help="开始日期 YYYY-MM-DD")
        export.add_argument("--to", dest="date_to", help="结束日期 YYYY-MM-DD")
        export.add_argument("--actor", help="操作人")
        export.add_argument("--event-type", dest="event_type", help="事件类型")
        export.add_argument("--outcome", help="结果 success|failure|denied")
        role = sub.add_parser(
            "app-role",
            help="PostgreSQL：为应用连接角色授权（审计表仅可查询和追加），须以库的属主运行",
        )
        role.add_argument("name", help="应用连接数据库所用的角色名（须已创建）")
        role.add_argument("--apply", action="store_true", help="直接执行；默认只打印 SQL")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting_as(SYSTEM, channel="cli"):
            getattr(self, f"do_{options['action'].replace('-', '_')}")(options)

    def do_app_role(self, options: dict[str, Any]) -> None:
        from django.db import DatabaseError, connection, transaction

        from dangjian.audit.db import app_role_statements

        if connection.vendor != "postgresql":
            raise CommandError("仅适用于 PostgreSQL：嵌入式 SQLite 没有数据库角色。")
        statements = app_role_statements(options["name"], connection.settings_dict["NAME"])
        if not options["apply"]:
            self.stdout.write(";\n".join(statements) + ";")
            return
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        except DatabaseError as exc:
            raise CommandError(f"授权失败（须以库的属主运行，角色须已存在）：{exc}") from exc
        audit_record(
            "db_role_grant",
            obj=("audit.auditevent", "", "审计日志"),
            actor=SYSTEM,
            changes={"role": options["name"], "audit_table": "SELECT, INSERT"},
        )
        self.stdout.write(
            f"已授权角色 {options['name']}：审计表仅可查询和追加，其余业务表可读写。"
            "每次 migrate 之后请再运行一次。"
        )

    def do_verify(self, options: dict[str, Any]) -> None:
        result = audit_verify()
        if not result.ok:
            raise CommandError(result.message())
        for anchor in options["anchor"]:
            event_id, _, expected = anchor.partition(":")
            if not event_id.isdigit() or len(expected) != 64:
                raise CommandError(f"锚点格式应为 ID:HASH（64位十六进制）：{anchor}")
            found = AuditEvent.objects.filter(pk=int(event_id)).values_list("hash", flat=True)
            actual = found.first()
            if actual is None and audit_purged_past(int(event_id)):
                continue  # legitimately purged by retention
            if actual != expected.lower():
                raise CommandError(
                    f"审计链损坏：锚点记录 id={event_id} 的哈希与库外记录不符或记录缺失"
                    "（整条链可能被重算）"
                )
        self.stdout.write(result.message())
        if result.last_id:
            self.stdout.write(f"链头：id={result.last_id} hash={result.last_hash}")

    def do_purge(self, options: dict[str, Any]) -> None:
        try:
            result = audit_purge(actor=SYSTEM, dry_run=options["dry_run"])
        except PurgeRefused as exc:
            raise CommandError(str(exc)) from exc
        verb = "将删除" if result.dry_run else "已删除"
        cutoff = timezone.localtime(result.cutoff)
        self.stdout.write(
            f"保留期 {result.retention_days} 天（{cutoff:%Y-%m-%d %H:%M} 之前）："
            f"{verb} {result.deleted} 条审计记录。"
        )

    def do_export(self, options: dict[str, Any]) -> None:
        params = {
            k: options[k]
            for k in ("date_from", "date_to", "actor", "event_type", "outcome")
            if options.get(k)
        }
        try:
            filters = clean_filters(params)
        except ValidationError as exc:
            raise CommandError(f"筛选条件无效：{exc.messages}") from exc
        path = Path(options["output"])
        if path.suffix.lower() != ".xlsx":
            raise CommandError("输出文件须以 .xlsx 结尾。")
        count = write_xlsx(
            path, EXPORT_HEADERS, export_rows(user=SYSTEM, filters=filters), title="审计日志"
        )
        audit_access_record(
            actor=SYSTEM,
            event_type="audit_export",
            changes={"filters": filters, "rows": count, "channel": "cli"},
        )
        self.stdout.write(f"已导出 {count} 条审计记录到 {path}")
