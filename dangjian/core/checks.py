"""System checks for ``dangjian check [--deploy]`` that belong to no single app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


def check_audit_retention(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from dangjian.audit.db import MIN_RETENTION_DAYS

    if settings.AUDIT_RETENTION_DAYS < MIN_RETENTION_DAYS:
        return [
            checks.Error(
                f"审计日志保留天数 {settings.AUDIT_RETENTION_DAYS} 低于法定最低"
                f" {MIN_RETENTION_DAYS} 天。",
                hint=f"设置 DANGJIAN_AUDIT_RETENTION_DAYS >= {MIN_RETENTION_DAYS}（默认 365）。",
                id="dangjian.E001",
            )
        ]
    return []


def check_production(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    if not settings.PRODUCTION:
        messages.append(
            checks.Warning(
                "运行在嵌入式模式：未启用 Secure/__Host- Cookie 与 HSTS。",
                hint="生产环境设置 DANGJIAN_PRODUCTION=1 并在 HTTPS 之后部署。",
                id="dangjian.W001",
            )
        )
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        messages.append(
            checks.Warning(
                "使用嵌入式 SQLite 数据库。",
                hint="生产环境设置 DATABASE_URL 指向 PostgreSQL。",
                id="dangjian.W002",
            )
        )
    return messages


def check_autovacuum(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """PostgreSQL without autovacuum keeps no current planner statistics between the daily
    ``ANALYZE`` (``core.analyze``) and never reclaims dead rows."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            setting = str(cursor.fetchone()[0])
    except DatabaseError:
        return []
    if setting == "on":
        return []
    return [
        checks.Warning(
            "PostgreSQL 的 autovacuum 已关闭：统计信息只在每日 ANALYZE 时更新，"
            "已删除的行不被回收。",
            hint="在 postgresql.conf 中设置 autovacuum = on 并重新加载配置。",
            id="dangjian.W003",
        )
    ]


def check_audit_role(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """AUD-04: on PostgreSQL the application should connect as a role that can only read and
    append audit records (``dangjian audit app-role``), not as the owner or a superuser."""
    from django.db import DatabaseError, connection

    from dangjian.audit.db import current_role_may_alter_audit

    try:
        may_alter = current_role_may_alter_audit(connection)
    except DatabaseError:
        return []
    if not may_alter:
        return []
    return [
        checks.Warning(
            "应用连接数据库的角色可以修改或删除审计记录（库的属主或超级用户）。",
            hint="以属主运行 `dangjian audit app-role 角色名 --apply`，"
            "再让 DATABASE_URL 使用该角色；migrate 仍以属主运行。",
            id="dangjian.W004",
        )
    ]


def check_backups(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """BAK-01: daily encrypted backups on, and kept apart from the data they protect."""
    from pathlib import Path

    messages: list[checks.CheckMessage] = []
    if not settings.BACKUP_DAILY:
        messages.append(
            checks.Warning(
                "每日加密备份已关闭（DANGJIAN_BACKUP_DAILY=0）。",
                hint="打开它，或确认另有每日备份与恢复演练（dangjian backup drill）。",
                id="dangjian.W005",
            )
        )
    data_dir = Path(settings.DATA_DIR).resolve()
    for name, path in (("备份目录", settings.BACKUP_DIR), ("备份密钥", settings.BACKUP_KEY_FILE)):
        if Path(path).resolve().is_relative_to(data_dir):
            messages.append(
                checks.Warning(
                    f"{name}位于数据目录 {data_dir} 之内：与数据同损同失。",
                    hint="用 DANGJIAN_BACKUP_DIR 指向另一块存储；备份密钥另行离机保管"
                    "（DANGJIAN_BACKUP_KEY_FILE）。",
                    id="dangjian.W006",
                )
            )
    return messages


def register() -> None:
    checks.register(check_audit_retention)
    checks.register(check_production, checks.Tags.security, deploy=True)
    checks.register(check_autovacuum, checks.Tags.security, deploy=True)
    checks.register(check_audit_role, checks.Tags.security, deploy=True)
    checks.register(check_backups, checks.Tags.security, deploy=True)
