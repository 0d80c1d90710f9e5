"""Menu entries of the accounts app: own sessions for everyone, and the two administrators'."""

from __future__ import annotations

from typing import Any

from dangjian.accounts.models import AdminRole
from dangjian.core.registries import NavItem, register_nav


def _is(role: str) -> Any:
    return lambda user: user.is_authenticated and getattr(user, "admin_role", "") == role


register_nav(
    NavItem(
        "系统管理",
        "账户管理",
        "accounts:account_list",
        icon="👤",
        order=900,
        visible=_is(AdminRole.SYSTEM),
    ),
    NavItem(
        "安全管理",
        "角色授权",
        "accounts:role_assignments",
        icon="🔑",
        order=910,
        visible=_is(AdminRole.SECURITY),
    ),
    NavItem(
        "安全管理",
        "账户解锁",
        "accounts:account_locks",
        icon="🔓",
        order=911,
        visible=_is(AdminRole.SECURITY),
    ),
    NavItem(
        "安全管理",
        "会话管理",
        "accounts:session_admin",
        icon="🖥",
        order=912,
        visible=_is(AdminRole.SECURITY),
    ),
    NavItem(
        "安全管理",
        "安全参数",
        "accounts:security_rules",
        icon="⚙",
        order=913,
        visible=_is(AdminRole.SECURITY),
    ),
    NavItem(
        "安全管理",
        "多因素认证",
        "accounts:mfa_admin",
        icon="🔐",
        order=914,
        visible=_is(AdminRole.SECURITY),
    ),
    NavItem(
        "个人设置",
        "多因素认证",
        "accounts:mfa_settings",
        icon="🔐",
        order=989,
        visible=lambda user: user.is_authenticated,
    ),
    NavItem(
        "个人设置",
        "我的会话",
        "accounts:my_sessions",
        icon="🕒",
        order=990,
        visible=lambda user: user.is_authenticated,
    ),
)
