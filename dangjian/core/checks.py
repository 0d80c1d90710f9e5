"""System checks for ``dangjian check [--deploy]`` that belong to no single app."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

MIN_AUDIT_RETENTION_DAYS = 184  # 网络安全法 Art. 23(3): ≥ 6 months


def check_audit_retention(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if settings.AUDIT_RETENTION_DAYS < MIN_AUDIT_RETENTION_DAYS:
        return [
            checks.Error(
                f"审计日志保留天数 {settings.AUDIT_RETENTION_DAYS} 低于法定最低 184 天。",
                hint="设置 DANGJIAN_AUDIT_RETENTION_DAYS >= 184（默认 365）。",
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


def register() -> None:
    checks.register(check_audit_retention)
    checks.register(check_production, checks.Tags.security, deploy=True)
    checks.register(check_autovacuum, checks.Tags.security, deploy=True)
    checks.register(check_audit_role, checks.Tags.security, deploy=True)
