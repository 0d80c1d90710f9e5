"""Menu entry of the to-do centre (我的待办)."""

from __future__ import annotations

from typing import Any

from dangjian.core.registries import NavItem, register_nav
from dangjian.core.scope import has_permission
from dangjian.reminders.models import Reminder


def _visible(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and has_permission(user, Reminder, "view")


register_nav(NavItem("工作台", "我的待办", "reminders:todo", icon="🔔", order=5, visible=_visible))
