"""Menu entries of member development (发展党员); each checks the permission it needs."""

from __future__ import annotations

from typing import Any

from dangjian.core.registries import NavItem, register_nav
from dangjian.core.scope import has_permission
from dangjian.development.models import DevelopmentCase, StepRule


def _may(model: type, action: str, *more: tuple[type, str]) -> Any:
    def visible(user: Any) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        return has_permission(user, model, action) and all(
            has_permission(user, m, a) for m, a in more
        )

    return visible


register_nav(
    NavItem(
        "发展党员",
        "发展对象名册",
        "development:pipeline",
        icon="🌱",
        order=40,
        visible=_may(DevelopmentCase, "view"),
    ),
    NavItem(
        "发展党员",
        "全委概况",
        "development:overview",
        icon="📈",
        order=41,
        visible=_may(DevelopmentCase, "export", (StepRule, "change")),
    ),
    NavItem(
        "发展党员",
        "步骤规则",
        "development:rules",
        icon="📐",
        order=42,
        visible=_may(StepRule, "view"),
    ),
)
