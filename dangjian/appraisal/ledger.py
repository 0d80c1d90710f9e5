"""The appraisal section of a branch's standard ledger (标准化台帐): results of the year."""

from __future__ import annotations

from typing import Any

from dangjian.appraisal.models import AppraisalRound, Grade
from dangjian.appraisal.selectors import grading_sheet
from dangjian.core.registries import register_ledger_section
from dangjian.core.scope import SYSTEM

HEADERS = [
    "序号",
    "姓名",
    "政治面貌",
    "个人自评",
    f"党员互评（{'/'.join(Grade.labels)}）",
    f"群众评议（{'/'.join(Grade.labels)}）",
    "评定等次",
]


def appraisal_results(branch: Any, year: int) -> tuple[list[str], list[list[Any]]]:
    rnd = AppraisalRound.objects.filter(branch=branch, year=year).first()
    if rnd is None:
        return HEADERS, []
    # the ledgers app has checked the user's scope on the branch; rows are the branch's own
    sheet = grading_sheet(user=SYSTEM, rnd=rnd)
    return HEADERS, [
        [
            index,
            row.entry.person.name,
            row.entry.person.get_political_status_display(),
            "已提交" if row.entry.self_submitted_at else "未提交",
            row.tally.text("peer"),
            row.tally.text("masses"),
            row.entry.get_grade_display() or "未评定",
        ]
        for index, row in enumerate(sheet, start=1)
    ]


register_ledger_section(50, "appraisal.results", "民主评议党员结果", appraisal_results)
