"""Menu entries of organisational life (组织生活)."""

from dangjian.core.registries import NavItem, register_nav
from dangjian.core.scope import has_permission
from dangjian.orglife.models import Meeting, MeetingType
from dangjian.orgs.models import PartyOrg

register_nav(
    NavItem(
        "组织生活",
        "会议列表",
        "orglife:list",
        icon="📋",
        order=40,
        visible=lambda user: has_permission(user, Meeting, "view"),
    ),
    NavItem(
        "组织生活",
        "近期会议",
        "orglife:upcoming",
        icon="📅",
        order=41,
        visible=lambda user: has_permission(user, Meeting, "view"),
    ),
    NavItem(
        "组织生活",
        "合规看板",
        "orglife:compliance",
        icon="🚦",
        order=42,
        visible=lambda user: (
            has_permission(user, Meeting, "view") and has_permission(user, PartyOrg, "view")
        ),
    ),
    NavItem(
        "组织生活",
        "会议规则",
        "orglife:types",
        icon="⚙",
        order=43,
        visible=lambda user: has_permission(user, MeetingType, "view"),
    ),
)
