"""Menu entries of the dues app (党费管理); each checks the permission it needs."""

from __future__ import annotations

from typing import Any

from dangjian.core.registries import NavItem, register_nav
from dangjian.core.scope import has_permission
from dangjian.dues.models import DuesAssessment, DuesBill, DuesBracket, DuesPayment


def _may(model: type, action: str) -> Any:
    def visible(user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and has_permission(
            user, model, action
        )

    return visible


def _member(user: Any) -> bool:
    return _may(DuesBill, "view")(user) and not has_permission(user, DuesBill, "export")


S = "党费管理"
register_nav(
    NavItem(S, "我的党费", "dues:mine", icon="¥", order=40, visible=_member),
    NavItem(S, "收缴汇总", "dues:rollup", icon="¥", order=41, visible=_may(DuesBill, "export")),
    NavItem(S, "年度核定", "dues:assessments", order=42, visible=_may(DuesAssessment, "add")),
    NavItem(S, "月度账单", "dues:bills", order=43, visible=_may(DuesBill, "export")),
    NavItem(S, "交纳记录", "dues:payments", order=44, visible=_may(DuesPayment, "export")),
    NavItem(S, "欠缴名单", "dues:arrears", order=45, visible=_may(DuesBill, "export")),
    NavItem(S, "收支公开", "dues:disclosure", order=46, visible=_may(DuesPayment, "export")),
    NavItem(S, "党费规则", "dues:rules", order=47, visible=_may(DuesBracket, "change")),
)
