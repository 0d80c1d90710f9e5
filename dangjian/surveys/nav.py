"""Menu entries of surveys; each checks the permission it needs."""

from __future__ import annotations

from typing import Any

from dangjian.core.registries import NavItem, has_linked_person, register_nav
from dangjian.core.scope import has_permission
from dangjian.surveys.models import Response, Survey


def _manage(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and has_permission(user, Survey, "view")


def _answer(user: Any) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False))
        and has_linked_person(user)
        and has_permission(user, Response, "add")
    )


register_nav(
    NavItem("考核评价", "满意度测评", "surveys:list", icon="📋", order=64, visible=_manage),
    NavItem("考核评价", "我的测评", "surveys:mine", icon="✅", order=69, visible=_answer),
)
