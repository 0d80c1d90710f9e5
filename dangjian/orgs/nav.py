"""Menu entries of the organisation module (组织管理)."""

from dangjian.core.registries import NavItem, register_nav
from dangjian.core.scope import has_permission
from dangjian.orgs.models import Department, PartyOrg, Unit

register_nav(
    NavItem(
        "组织管理",
        "党组织",
        "orgs:tree",
        icon="🏛",
        order=20,
        visible=lambda user: has_permission(user, PartyOrg, "view"),
    ),
    NavItem(
        "组织管理",
        "行政单位",
        "orgs:unit_tree",
        icon="🏭",
        order=21,
        visible=lambda user: has_permission(user, Unit, "view"),
    ),
    NavItem(
        "组织管理",
        "政工部门",
        "orgs:department_list",
        icon="🗂",
        order=22,
        visible=lambda user: has_permission(user, Department, "view"),
    ),
)
