"""Menu entry of the standard ledgers."""

from __future__ import annotations

from typing import Any

from dangjian.core.registries import NavItem, register_nav
from dangjian.core.scope import has_permission
from dangjian.ledgers.models import Ledger


def _visible(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and has_permission(user, Ledger, "view")


register_nav(
    NavItem("组织生活", "标准化台帐", "ledgers:index", icon="📒", order=48, visible=_visible)
)
