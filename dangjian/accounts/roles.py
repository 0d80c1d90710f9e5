"""Default business roles (data, seeded by migration, editable by the security admin).

Permission names are ``<app>.<action>_<model>`` as checked by ``core.scope.restrict``.
"""

from __future__ import annotations

from typing import Any

PERSON_READ = ["people.view_person", "people.view_personchange"]
PERSON_WRITE = ["people.add_person", "people.change_person", "people.import_person"]
ORG_READ = ["orgs.view_partyorg", "orgs.view_unit", "orgs.view_department", "orgs.view_orgevent"]
ORG_WRITE = [
    "orgs.add_partyorg",
    "orgs.change_partyorg",
    "orgs.add_unit",
    "orgs.change_unit",
    "orgs.add_orgevent",
]
ORGLIFE_READ = [
    "orglife.view_meeting",
    "orglife.view_meetingattendance",
    "orglife.view_meetingfile",
    "orglife.view_meetingtype",
]
ORGLIFE_WRITE = [
    "orglife.add_meeting",
    "orglife.change_meeting",
    "orglife.export_meeting",
    "orglife.add_meetingfile",
    "orglife.change_meetingattendance",
]
ORGLIFE_RULES = ["orglife.change_meetingtype"]
DEV_READ = [
    "development.view_developmentcase",
    "development.view_steprecord",
    "development.view_stepdocument",
    "development.view_steprule",
]
DEV_WRITE = [
    "development.add_developmentcase",
    "development.change_developmentcase",
    "development.add_steprecord",
    "development.export_developmentcase",
]
DEV_RULES = ["development.change_steprule"]
DEV_SELF = [
    "development.view_developmentcase",
    "development.view_steprecord",
    "development.view_stepdocument",
]

DUES_READ = [
    "dues.view_duesassessment",
    "dues.view_duesbill",
    "dues.view_duespayment",
    "dues.view_duesexpense",
    "dues.view_duesbracket",
    "dues.view_membercategory",
    "dues.view_incomecomponent",
    "dues.export_duesassessment",
    "dues.export_duesbill",
    "dues.export_duespayment",
]
DUES_WRITE = [
    "dues.add_duesassessment",
    "dues.change_duesassessment",
    "dues.add_duesbill",
    "dues.add_duespayment",
    "dues.add_duesexpense",
]
DUES_RULES = [
    "dues.change_duesbracket",
    "dues.change_membercategory",
    "dues.change_incomecomponent",
]
DUES_SELF = ["dues.view_duesassessment", "dues.view_duesbill", "dues.view_duespayment"]

# code: (name, scope_kind, permissions, description)
DEFAULT_ROLES: dict[str, tuple[str, str, list[str], str]] = {
    "committee_leader": (
        "党委领导",
        "all",
        [
            *PERSON_READ,
            *PERSON_WRITE,
            "people.export_person",
            "people.reveal_person",
            *ORG_READ,
            *ORG_WRITE,
            *ORGLIFE_READ,
            *ORGLIFE_WRITE,
            *ORGLIFE_RULES,
            *DEV_READ,
            *DEV_WRITE,
            *DEV_RULES,
            *DUES_READ,
            *DUES_WRITE,
            *DUES_RULES,
        ],
        "管控中枢：全部组织与人员",
    ),
    "org_dept_staff": (
        "组织部门干部",
        "subtree",
        [
            *PERSON_READ,
            *PERSON_WRITE,
            "people.export_person",
            "people.reveal_person",
            *ORG_READ,
            *ORG_WRITE,
            *ORGLIFE_READ,
            *ORGLIFE_WRITE,
            *ORGLIFE_RULES,
            *DEV_READ,
            *DEV_WRITE,
            *DEV_RULES,
            *DUES_READ,
            *DUES_WRITE,
            *DUES_RULES,
        ],
        "组织人事领域：全部人员与组织维护",
    ),
    "dept_staff": (
        "政工部门干部",
        "subtree",
        [*PERSON_READ, "people.export_person", *ORG_READ, *ORGLIFE_READ, *DEV_READ, *DUES_READ],
        "本部门领域内的全部数据（只读人员）",
    ),
    "branch_secretary": (
        "支部书记",
        "subtree",
        [
            *PERSON_READ,
            *PERSON_WRITE,
            "people.export_person",
            "people.reveal_person",
            *ORG_READ,
            *ORGLIFE_READ,
            *ORGLIFE_WRITE,
            *DEV_READ,
            *DEV_WRITE,
            *DUES_READ,
            *DUES_WRITE,
        ],
        "本支部及所属党小组",
    ),
    "party_affairs_worker": (
        "党务工作者",
        "subtree",
        [
            *PERSON_READ,
            *PERSON_WRITE,
            "people.export_person",
            *ORG_READ,
            *ORGLIFE_READ,
            *ORGLIFE_WRITE,
            *DEV_READ,
            *DEV_WRITE,
            *DUES_READ,
            *DUES_WRITE,
        ],
        "本支部及所属党小组（无明文查看权）",
    ),
    "member": (
        "党员",
        "self",
        [
            "people.view_person",
            "people.view_personchange",
            "orglife.view_meeting",
            "orglife.view_meetingattendance",
            *DEV_SELF,
            *DUES_SELF,
        ],
        "本人信息",
    ),
    "employee": ("职工", "self", ["people.view_person", *DEV_SELF], "本人信息"),
}

# Roles whose reach is one political-work domain: they must be granted with a Department,
# otherwise they would see every domain of the subtree.
DEPARTMENT_ROLES = frozenset({"org_dept_staff", "dept_staff"})

# The system administrator maintains the organisation tree (SECURITY.md 三员 table) through the
# same scope filter, but sees no person data.
SYSTEM_ADMIN_PERMISSIONS = [*ORG_READ, *ORG_WRITE]


def seed_roles(role_model: Any) -> None:
    for code, (name, scope_kind, perms, description) in DEFAULT_ROLES.items():
        role_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "scope_kind": scope_kind,
                "permissions": perms,
                "description": description,
            },
        )
