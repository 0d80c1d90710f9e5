"""Menu entry of the transfers app (组织关系转接)."""

from __future__ import annotations

from typing import Any

from dangjian.core.registries import NavItem, register_nav
from dangjian.core.scope import has_permission
from dangjian.transfers.models import Transfer


def _visible(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and has_permission(user, Transfer, "view")


register_nav(
    NavItem("党务工作", "组织关系转接", "transfers:list", icon="⇄", order=45, visible=_visible)
)
