"""System checks for accounts (AUTH-01, AC-05, demo data): run by ``dangjian check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError
from django.db.models.functions import Lower

RESERVED_USERNAMES = ("admin", "root", "test")


def _users() -> Any:
    from dangjian.accounts.models import User

    return User.objects


def check_reserved_usernames(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        found = sorted(
            _users()
            .annotate(lowered=Lower("username"))
            .filter(lowered__in=RESERVED_USERNAMES)
            .values_list("username", flat=True)
        )
    except DatabaseError:  # no tables yet (before migrate)
        return []
    if not found:
        return []
    return [
        checks.Warning(
            f"存在通用账户名：{', '.join(found)}（等保要求不使用 admin/root/test 等通用账户）。",
            hint="为每位管理员建立实名账户后停用或删除这些账户。",
            id="dangjian.W101",
        )
    ]


def check_demo_accounts(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        count = _users().filter(is_demo=True).count()
    except DatabaseError:
        return []
    if not count:
        return []
    return [
        checks.Warning(
            f"演示账户仍存在（{count} 个）。",
            hint="正式使用前运行 `dangjian demo --reset` 之外的新库，或停用全部演示账户。",
            id="dangjian.W102",
        )
    ]


def check_superusers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not settings.PRODUCTION:
        return []
    try:
        names = list(
            _users().filter(is_superuser=True, is_active=True).values_list("username", flat=True)
        )
    except DatabaseError:
        return []
    if not names:
        return []
    return [
        checks.Error(
            f"生产环境存在启用的超级用户：{', '.join(sorted(names))}（三员分立不允许超级用户）。",
            hint="停用超级用户，改用系统管理员、安全管理员、审计管理员三个分立账户。",
            id="dangjian.E101",
        )
    ]


def check_mfa_required(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """AUTH-07: missing MFA fails a 等保 level-3 assessment outright."""
    from dangjian.core.rules import rule

    try:
        required = bool(rule("security.mfa_required"))
    except DatabaseError:
        return []
    if required:
        return []
    return [
        checks.Warning(
            "未强制多因素认证（security.mfa_required 为否），不符合等保三级 8.1.4.1d。",
            hint="由安全管理员在“安全参数”中将“强制多因素认证”设为 是（演示环境默认关闭）。",
            id="dangjian.W103",
        )
    ]


def register() -> None:
    for check in (
        check_reserved_usernames,
        check_demo_accounts,
        check_superusers,
        check_mfa_required,
    ):
        checks.register(check, checks.Tags.security, deploy=True)
