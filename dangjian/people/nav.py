"""Menu entries of the people app (人员管理); each checks the permission it needs."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from dangjian.core.registries import NavItem, register_nav
from dangjian.core.scope import has_permission
from dangjian.people.models import Person


def _route_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def _may(action: str, url_name: str | None = None) -> Any:
    def visible(user: Any) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        if not has_permission(user, Person, action):
            return False
        return url_name is None or _route_exists(url_name)

    return visible


register_nav(
    NavItem("人员管理", "人员名册", "people:list", icon="👥", order=20, visible=_may("view")),
    NavItem(
        "人员管理",
        "人员导入",
        "people:import",
        icon="⇪",
        order=21,
        visible=_may("import", "people:import"),
    ),
    # Structure analytics is for roles that see more than themselves (the export holders).
    NavItem(
        "人员管理",
        "结构分析",
        "people:analytics",
        icon="📊",
        order=22,
        visible=_may("export", "people:analytics"),
    ),
)
