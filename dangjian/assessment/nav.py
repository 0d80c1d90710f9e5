"""Menu entries of the assessment engine, in the order of the work: dashboard, schemes, rounds,
self-check, (surveys: 64 and 69), results, annual evaluation, star members."""

from __future__ import annotations

from typing import Any

from dangjian.core.registries import NavItem, has_linked_person, register_nav


def _results_visible(user: Any) -> bool:
    from dangjian.assessment.models import ScoreSheet
    from dangjian.core.scope import has_permission

    return bool(getattr(user, "is_authenticated", False)) and has_permission(
        user, ScoreSheet, "view"
    )


def _dashboard_visible(user: Any) -> bool:
    from dangjian.assessment.models import AssessmentScheme
    from dangjian.core.scope import has_permission

    return bool(getattr(user, "is_authenticated", False)) and has_permission(
        user, AssessmentScheme, "view"
    )


register_nav(
    NavItem(
        "考核评价",
        "考核看板",
        "assessment:dashboard",
        icon="📊",
        order=60,
        visible=_dashboard_visible,
    ),
    NavItem(
        "考核评价", "考核结果", "assessment:results", icon="🏅", order=65, visible=_results_visible
    ),
    NavItem(
        "考核评价",
        "我的考核结果",
        "assessment:my_results",
        icon="⭐",
        order=66,
        visible=_results_visible,
    ),
)


# imported here (AppConfig.ready) so the "assessment.scheme_criteria" export is registered in
# the worker too
from dangjian.assessment.selectors import schemes as _schemes  # noqa: E402


def _schemes_visible(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and _schemes.can_view(user)


register_nav(
    NavItem(
        "考核评价",
        "考核方案",
        "assessment:scheme_list",
        icon="📋",
        order=61,
        visible=_schemes_visible,
    )
)


def _rounds_visible(user: Any) -> bool:
    from dangjian.assessment.models import AssessmentRound, Score
    from dangjian.core.scope import has_permission

    return (
        bool(getattr(user, "is_authenticated", False))
        and has_permission(user, AssessmentRound, "view")
        and has_permission(user, Score, "view")
    )


def _self_check_visible(user: Any) -> bool:
    from dangjian.assessment.models import SelfCheck
    from dangjian.core.scope import has_permission

    return bool(getattr(user, "is_authenticated", False)) and has_permission(
        user, SelfCheck, "change"
    )


register_nav(
    NavItem(
        "考核评价",
        "考核轮次",
        "assessment:round_list",
        icon="📋",
        order=62,
        visible=_rounds_visible,
    ),
    NavItem(
        "考核评价",
        "支部自查",
        "assessment:self_check_home",
        icon="📝",
        order=63,
        visible=_self_check_visible,
    ),
)


# --- annual evaluation and star members (area ENGINE) ---------------------------------------
def _annual_visible(user: Any) -> bool:
    from dangjian.assessment.models import AnnualEvaluation
    from dangjian.core.scope import has_permission

    return bool(getattr(user, "is_authenticated", False)) and has_permission(
        user, AnnualEvaluation, "view"
    )


def _star_self_visible(user: Any) -> bool:
    from dangjian.assessment.models import StarMemberRating
    from dangjian.core.scope import has_permission

    return (
        bool(getattr(user, "is_authenticated", False))
        and has_linked_person(user)
        and has_permission(user, StarMemberRating, "change")
    )


register_nav(
    NavItem(
        "考核评价",
        "年终总评",
        "assessment:annual_list",
        icon="🏆",
        order=67,
        visible=_annual_visible,
    ),
    NavItem(
        "考核评价",
        "星级党员自评",
        "assessment:star_member_self",
        icon="✍",
        order=68,
        visible=_star_self_visible,
    ),
)
