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

# To-do centre and transfers (appended by the reminders/transfers apps): everyone with a
# business role reads the reminders of their scope and their own notifications; transfers are
# kept by the branches (view/add/change in their subtree), read by department staff, and a
# member sees their own.
REMINDERS_READ = ["reminders.view_reminder", "reminders.view_notification"]
TRANSFERS_READ = ["transfers.view_transfer"]
TRANSFERS_WRITE = ["transfers.add_transfer", "transfers.change_transfer"]
for _code, _extra in {
    "committee_leader": [*REMINDERS_READ, *TRANSFERS_READ, *TRANSFERS_WRITE],
    "org_dept_staff": [*REMINDERS_READ, *TRANSFERS_READ, *TRANSFERS_WRITE],
    "dept_staff": [*REMINDERS_READ, *TRANSFERS_READ],
    "branch_secretary": [*REMINDERS_READ, *TRANSFERS_READ, *TRANSFERS_WRITE],
    "party_affairs_worker": [*REMINDERS_READ, *TRANSFERS_READ, *TRANSFERS_WRITE],
    "member": [*REMINDERS_READ, *TRANSFERS_READ],
    "employee": [*REMINDERS_READ],
}.items():
    DEFAULT_ROLES[_code][2].extend(p for p in _extra if p not in DEFAULT_ROLES[_code][2])

# Democratic appraisal and standard ledgers (appended by the appraisal/ledgers apps): the
# branches run the rounds and generate their ledgers; department staff read; a member writes
# their own self-assessment and, named as an evaluator, casts a ballot (so does an employee).
APPRAISAL_READ = [
    "appraisal.view_appraisalround",
    "appraisal.view_appraisalentry",
    "appraisal.view_appraisalevaluator",
    "appraisal.view_appraisalvote",
]
APPRAISAL_WRITE = [
    "appraisal.add_appraisalround",
    "appraisal.change_appraisalround",
    "appraisal.change_appraisalentry",
    "appraisal.add_appraisalvote",
]
APPRAISAL_SELF = [
    "appraisal.view_appraisalentry",
    "appraisal.change_appraisalentry",
    "appraisal.view_appraisalevaluator",
    "appraisal.view_appraisalvote",
    "appraisal.add_appraisalvote",
]
LEDGERS = ["ledgers.view_ledger", "ledgers.export_ledger"]
for _code, _extra in {
    "committee_leader": [*APPRAISAL_READ, *APPRAISAL_WRITE, *LEDGERS],
    "org_dept_staff": [*APPRAISAL_READ, *APPRAISAL_WRITE, *LEDGERS],
    "dept_staff": [*APPRAISAL_READ, "ledgers.view_ledger"],
    "branch_secretary": [*APPRAISAL_READ, *APPRAISAL_WRITE, *LEDGERS],
    "party_affairs_worker": [*APPRAISAL_READ, *APPRAISAL_WRITE, *LEDGERS],
    "member": APPRAISAL_SELF,
    "employee": [
        "appraisal.view_appraisalevaluator",
        "appraisal.view_appraisalvote",
        "appraisal.add_appraisalvote",
    ],
}.items():
    DEFAULT_ROLES[_code][2].extend(p for p in _extra if p not in DEFAULT_ROLES[_code][2])

# Assessment (appended by the assessment app). The committee and the political-work department
# run schemes and rounds; a department scores its category (scores carry the category's domain,
# so a department grant sees only its own); assessment-team members (``assessor``) score what
# their ScorerAssignment names; a branch reads its own sheet, writes its self-check and raises
# objections; members read published results and rate themselves as star members.
_A = "assessment."
ASSESS_READ = [
    _A + p
    for p in (
        "view_assessmentscheme",
        "view_category",
        "view_criterion",
        "view_deductionitem",
        "view_assessmentround",
        "view_scorerassignment",
        "view_scoresheet",
        "view_score",
        "view_scoreattachment",
        "view_selfcheck",
        "view_spotcheck",
        "view_objection",
        "view_annualevaluation",
        "view_annualresult",
        "view_starmemberrating",
        "export_scoresheet",
    )
]
ASSESS_MANAGE = [
    _A + p
    for p in (
        "add_assessmentscheme",
        "change_assessmentscheme",
        "add_category",
        "change_category",
        "add_criterion",
        "change_criterion",
        "add_deductionitem",
        "change_deductionitem",
        "add_assessmentround",
        "change_assessmentround",
        "add_scorerassignment",
        "change_scorerassignment",
        "change_scoresheet",
        "change_score",
        "add_scoreattachment",
        "add_spotcheck",
        "change_spotcheck",
        "change_objection",
        "add_annualevaluation",
        "change_annualevaluation",
        "change_starmemberrating",
    )
]
ASSESS_SCORER = [
    _A + p
    for p in (
        "view_category",
        "view_criterion",
        "view_deductionitem",
        "view_assessmentround",
        "view_scoresheet",
        "view_score",
        "view_scoreattachment",
        "view_selfcheck",
        "view_spotcheck",
        "view_objection",
        "view_annualresult",
        "change_score",
        "add_scoreattachment",
    )
]
ASSESS_BRANCH = [
    _A + p
    for p in (
        "view_assessmentround",
        "view_scoresheet",
        "view_score",
        "view_scoreattachment",
        "view_selfcheck",
        "add_selfcheck",
        "change_selfcheck",
        "add_scoreattachment",
        "view_spotcheck",
        "view_objection",
        "add_objection",
        "view_annualevaluation",
        "view_annualresult",
        "view_starmemberrating",
        "change_starmemberrating",
        "export_scoresheet",
    )
]
ASSESS_MEMBER = [
    _A + p
    for p in (
        "view_assessmentround",
        "view_scoresheet",
        "view_annualevaluation",
        "view_annualresult",
        "view_starmemberrating",
        "change_starmemberrating",
    )
]
DEFAULT_ROLES["assessor"] = (
    "考核评价小组成员",
    "subtree",
    [*ORG_READ, *ASSESS_SCORER],
    "按评分分工对指定支部或细则评分",
)
for _code, _extra in {
    "committee_leader": [*ASSESS_READ, *ASSESS_MANAGE],
    "org_dept_staff": [*ASSESS_READ, *ASSESS_MANAGE],
    "dept_staff": ASSESS_SCORER,
    "branch_secretary": ASSESS_BRANCH,
    "party_affairs_worker": ASSESS_BRANCH,
    "member": ASSESS_MEMBER,
    "employee": [],
}.items():
    DEFAULT_ROLES[_code][2].extend(p for p in _extra if p not in DEFAULT_ROLES[_code][2])

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


# Satisfaction surveys (appended by the surveys app). The committee and the organisation
# department run them; a branch reads the surveys about its subtree (results once closed);
# anyone whose account is a person may answer (``add_response``), the eligibility check deciding
# which surveys. Nobody gets ``view_response`` or ``view_participation``: results are aggregates.
SURVEYS_READ = ["surveys.view_survey", "surveys.view_question", "surveys.export_survey"]
SURVEYS_MANAGE = ["surveys.add_survey", "surveys.change_survey"]
SURVEYS_ANSWER = ["surveys.add_response"]
for _code, _extra in {
    "committee_leader": [*SURVEYS_READ, *SURVEYS_MANAGE, *SURVEYS_ANSWER],
    "org_dept_staff": [*SURVEYS_READ, *SURVEYS_MANAGE, *SURVEYS_ANSWER],
    "dept_staff": SURVEYS_ANSWER,
    "assessor": SURVEYS_ANSWER,
    "branch_secretary": [*SURVEYS_READ, *SURVEYS_ANSWER],
    "party_affairs_worker": [*SURVEYS_READ, *SURVEYS_ANSWER],
    "member": SURVEYS_ANSWER,
    "employee": SURVEYS_ANSWER,
}.items():
    DEFAULT_ROLES[_code][2].extend(p for p in _extra if p not in DEFAULT_ROLES[_code][2])
