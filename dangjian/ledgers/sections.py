"""Ledger sections written here: the member roster (from people) and guarded placeholders.

The meetings section reads the orglife app's records when that app is installed (lazily, by
model name, so nothing breaks while it is absent) and is a *fallback*: when orglife registers
its own ``orglife.meetings`` section, that one wins. Dues and development are placeholders
their apps replace by registering the same keys.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

from dangjian.core.registries import register_ledger_section
from dangjian.people.models import PARTY_MEMBER_STATUSES, MembershipStatus, Person

ROSTER_HEADERS = [
    "序号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "学历",
    "政治面貌",
    "入党日期",
    "转正日期",
    "岗位",
    "党小组",
    "党籍状态",
]


def _d(value: Any) -> str:
    return value.isoformat() if value else ""


def member_roster(branch: Any, year: int) -> tuple[list[str], list[list[Any]]]:
    """Party members of the branch (and its groups) today; no ID numbers or phones (PI-03)."""
    persons = (
        Person.objects.filter(
            party_org__path__startswith=branch.path,
            political_status__in=PARTY_MEMBER_STATUSES,
        )
        .select_related("party_group")
        .order_by("party_group__name", "employee_no")
    )
    rows = [
        [
            index,
            p.name,
            p.get_gender_display(),
            p.ethnicity,
            _d(p.birth_date),
            p.get_education_display(),
            p.get_political_status_display(),
            _d(p.joined_party_on),
            _d(p.regularised_on),
            p.post,
            p.party_group.name if p.party_group else "",
            p.get_membership_status_display()
            if p.membership_status != MembershipStatus.NORMAL
            else "正常",
        ]
        for index, p in enumerate(persons, start=1)
    ]
    return ROSTER_HEADERS, rows


MEETING_HEADERS = [
    "序号",
    "召开日期",
    "会议类型",
    "会议名称",
    "议题",
    "主持人",
    "应到/实到",
    "状态",
]


def meetings(branch: Any, year: int) -> tuple[list[str], list[list[Any]]]:
    """Meetings held by the branch and its groups in the year (when orglife is installed)."""
    if not apps.is_installed("dangjian.orglife"):
        return MEETING_HEADERS, []
    meeting = apps.get_model("orglife", "Meeting")
    qs = (
        meeting.objects.filter(org__path__startswith=branch.path, held_on__year=year)
        .exclude(state__in=["plan", "notice"])
        .select_related("meeting_type")
        .order_by("held_on", "pk")
    )
    rows = []
    for index, m in enumerate(qs, start=1):
        rows.append(
            [
                index,
                _d(m.held_on),
                str(getattr(m, "meeting_type", "") or ""),
                m.title,
                getattr(m, "topic", ""),
                getattr(m, "host", ""),
                f"{getattr(m, 'invited_count', '')}/{getattr(m, 'present_count', '')}",
                m.get_state_display(),
            ]
        )
    return MEETING_HEADERS, rows


def _placeholder(branch: Any, year: int) -> tuple[list[str], list[list[Any]]]:
    return [], []


register_ledger_section(10, "people.roster", "党员名册", member_roster)
register_ledger_section(20, "orglife.meetings", "组织生活会议记录", meetings, fallback=True)
register_ledger_section(30, "dues.ledger", "党费收缴台帐", _placeholder, fallback=True)
register_ledger_section(40, "development.records", "发展党员工作记录", _placeholder, fallback=True)
