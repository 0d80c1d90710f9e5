"""The dues section of a branch's standard ledger (标准化台帐): 党费收缴台帐 of one year.

One row per member of the branch subtree with an assessment or bills in the year: the monthly
amount (年初核定, with its changes), the months billed and paid, 党费交至 as it stands at the end
of the year, and the arrears (unpaid bills of months that have ended); then a totals row.

The ledgers app has checked the user's scope on the branch before calling this, so the rows
are read through the dues selectors as SYSTEM, limited to the branch's subtree. The number of
queries does not depend on the number of members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from dangjian.core.registries import register_ledger_section
from dangjian.core.scope import SYSTEM
from dangjian.dues import selectors
from dangjian.dues.models import DuesAssessment, DuesBill, month_index, month_label
from dangjian.dues.money import fmt_fen
from dangjian.dues.services import paying_members
from dangjian.people.models import Person

KEY = "dues.ledger"
TITLE = "党费收缴台帐"
HEADERS = [
    "序号",
    "姓名",
    "党小组",
    "党员类别",
    "月交纳额(元)",
    "应交月数",
    "应交金额(元)",
    "已交月份",
    "已交金额(元)",
    "党费交至",
    "欠缴月数",
    "欠缴金额(元)",
]
NOT_ASSESSED = "未核定"


@dataclass
class _Member:
    person_id: int
    name: str = ""
    employee_no: str = ""
    group: str = ""
    path: str = ""
    assessment: DuesAssessment | None = None
    due_months: int = 0
    due_fen: int = 0
    paid: list[int] = field(default_factory=list)  # months (1..12)
    paid_fen: int = 0
    arrears_months: int = 0
    arrears_fen: int = 0


def months_text(months: list[int]) -> str:
    """[1, 2, 3, 5, 7, 8] → '1-3、5、7-8月' (empty: '无')."""
    if not months:
        return "无"
    months = sorted(set(months))
    runs: list[tuple[int, int]] = []
    for m in months:
        if runs and runs[-1][1] == m - 1:
            runs[-1] = (runs[-1][0], m)
        else:
            runs.append((m, m))
    return "、".join(str(a) if a == b else f"{a}-{b}" for a, b in runs) + "月"


def _monthly_text(assessment: DuesAssessment | None) -> str:
    if assessment is None:
        return NOT_ASSESSED
    text = fmt_fen(assessment.monthly_fen)
    changes = sorted(assessment.changes.all(), key=lambda c: c.effective_month)
    if changes:
        parts = [f"{c.effective_month}月起 {fmt_fen(c.monthly_fen)}" for c in changes]
        text += "（" + "；".join(parts) + "）"
    return text


def dues_ledger(branch: Any, year: int) -> tuple[list[str], list[list[Any]]]:
    """Dues of the branch (and its groups) for ``year``, per member, with a totals row."""
    today = timezone.localdate()
    # months that have ended: before the current month, and never beyond the year
    ended_before = min(month_index(today.year, today.month), month_index(year + 1, 1))
    members: dict[int, _Member] = {}

    def member(row_person: Person | None, person_id: int, **names: str) -> _Member:
        found = members.get(person_id)
        if found is None:
            found = members[person_id] = _Member(person_id)
        if row_person is not None and not found.name:
            found.name, found.employee_no = row_person.name, row_person.employee_no
            found.group = row_person.party_group.name if row_person.party_group else ""
        for key, value in names.items():
            if value and not getattr(found, key):
                setattr(found, key, value)
        return found

    assessments = (
        selectors.assessment_list(user=SYSTEM, org=branch.pk, year=year)
        .select_related("person__party_group")
        .prefetch_related("changes")
    )
    for a in assessments:
        member(a.person, a.person_id, path=a.party_org.path).assessment = a

    bills = (
        selectors.bill_list(user=SYSTEM, org=branch.pk, year=year)
        .order_by()
        .values_list(
            "person_id",
            "person__name",
            "person__employee_no",
            "person__party_group__name",
            "party_org__path",
            "month",
            "month_index",
            "status",
            "amount_fen",
        )
    )
    for pid, name, employee_no, group, path, month, index, status, amount in bills:
        m = member(None, pid, name=name, employee_no=employee_no, group=group or "", path=path)
        m.due_months += 1
        m.due_fen += amount
        if status == DuesBill.Status.PAID:
            m.paid.append(month)
            m.paid_fen += amount
        elif index < ended_before:
            m.arrears_months += 1
            m.arrears_fen += amount

    if year == today.year:  # this year's members not assessed yet are listed too
        unassessed = (
            paying_members(Person.objects.filter(party_org__path__startswith=branch.path))
            .exclude(pk__in=list(members))
            .select_related("party_group", "party_org")
        )
        for person in unassessed:
            member(person, person.pk, path=person.party_org.path)

    paid_up = selectors.paid_up_months(list(members), until=month_index(year, 12))
    ordered = sorted(members.values(), key=lambda m: (m.path, m.group, m.employee_no, m.name))
    rows: list[list[Any]] = []
    for number, m in enumerate(ordered, start=1):
        rows.append(
            [
                number,
                m.name,
                m.group,
                m.assessment.category.name if m.assessment else NOT_ASSESSED,
                _monthly_text(m.assessment),
                m.due_months,
                fmt_fen(m.due_fen),
                months_text(m.paid),
                fmt_fen(m.paid_fen),
                month_label(paid_up.get(m.person_id)),
                m.arrears_months,
                fmt_fen(m.arrears_fen),
            ]
        )
    if not rows:
        return list(HEADERS), []
    in_arrears = sum(1 for m in ordered if m.arrears_months)
    rows.append(
        [
            "合计",
            f"{len(ordered)}人",
            "",
            "",
            fmt_fen(sum(m.assessment.monthly_fen for m in ordered if m.assessment)),
            sum(m.due_months for m in ordered),
            fmt_fen(sum(m.due_fen for m in ordered)),
            f"共{sum(len(m.paid) for m in ordered)}个月",
            fmt_fen(sum(m.paid_fen for m in ordered)),
            "",
            f"{sum(m.arrears_months for m in ordered)}（{in_arrears}人）",
            fmt_fen(sum(m.arrears_fen for m in ordered)),
        ]
    )
    return list(HEADERS), rows


# the app's own section replaces the guarded placeholder of dangjian/ledgers/sections.py
register_ledger_section(30, KEY, TITLE, dues_ledger)
