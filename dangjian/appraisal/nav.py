"""Menu entries of democratic appraisal; each checks the permission it needs."""

from __future__ import annotations

from typing import Any

from dangjian.appraisal.models import AppraisalEntry, AppraisalEvaluator, AppraisalRound
from dangjian.core.registries import NavItem, has_linked_person, register_nav
from dangjian.core.scope import has_permission


def _manage(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and has_permission(
        user, AppraisalRound, "view"
    )


def _personal(user: Any) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False))
        and has_linked_person(user)
        and (
            has_permission(user, AppraisalEntry, "view")
            or has_permission(user, AppraisalEvaluator, "view")
        )
    )


register_nav(
    NavItem("组织生活", "民主评议党员", "appraisal:list", icon="🗳", order=45, visible=_manage),
    NavItem("组织生活", "我的民主评议", "appraisal:mine", icon="✍", order=46, visible=_personal),
)
