"""The development section of a branch's standard ledger (标准化台帐): 发展党员工作记录 of a year.

One row per development case of the branch subtree that was under way in the year (opened by
the end of the year and still active, or with a step or its closing in the year): the person,
the stage and state at the end of the year, the steps completed with their dates (up to the
end of the year), the steps completed in the year, and the next step with its deadline.

The ledgers app has checked the user's scope on the branch before calling this; the cases are
read through the development selectors as SYSTEM, limited to the branch's subtree. Four
queries whatever the number of cases (branch, cases, step records, step table).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Max, Min, Q
from django.utils import timezone

from dangjian.core.registries import register_ledger_section
from dangjian.core.scope import SYSTEM
from dangjian.development.models import DevelopmentCase, Stage, StepRecord
from dangjian.development.selectors import case_list
from dangjian.development.services import step_rules

KEY = "development.records"
TITLE = "发展党员工作记录"
HEADERS = [
    "序号",
    "姓名",
    "所在党支部",
    "当前阶段",
    "状态",
    "已完成步骤及日期",
    "本年度完成步骤",
    "下一步骤",
]


def development_records(branch: Any, year: int) -> tuple[list[str], list[list[Any]]]:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    current_year = year >= timezone.localdate().year
    cases = list(
        case_list(user=SYSTEM, branch=branch.pk, state="")
        .annotate(first_on=Min("steps__completed_on"), last_on=Max("steps__completed_on"))
        .filter(first_on__lte=end)
        .filter(
            Q(state=DevelopmentCase.State.ACTIVE) | Q(last_on__gte=start) | Q(closed_on__gte=start)
        )
        .order_by("branch__path", "first_on", "pk")
    )
    if not cases:
        return list(HEADERS), []
    done: dict[int, list[tuple[int, dt.date]]] = defaultdict(list)
    records = (
        StepRecord.objects.filter(case__in=[c.pk for c in cases], completed_on__lte=end)
        .order_by("step")
        .values_list("case_id", "step", "completed_on")
    )
    for case_id, step, completed_on in records:
        done[case_id].append((step, completed_on))
    steps = step_rules()

    def name(number: int) -> str:
        rule = steps.get(number)
        return f"{number}.{rule.name}" if rule else f"步骤{number}"

    rows: list[list[Any]] = []
    for index, case in enumerate(cases, start=1):
        completed = done.get(case.pk, [])
        last = max((n for n, _ in completed), default=0)
        if current_year:
            stage, state = case.get_current_stage_display(), case.get_state_display()
            following = name(case.next_step) if case.next_step else "—"
            if case.next_step and case.next_latest:
                following += f"（最迟 {case.next_latest:%Y-%m-%d}）"
        else:  # as it stood at the end of the year
            rule = steps.get(last)
            stage = Stage(rule.stage).label if rule else ""
            closed = case.state != DevelopmentCase.State.ACTIVE and (
                (case.closed_on is not None and case.closed_on <= end)
                or (case.closed_on is None and (case.last_on or end) <= end)
            )
            state = case.get_state_display() if closed else DevelopmentCase.State.ACTIVE.label
            following = "—"
        rows.append(
            [
                index,
                case.person.name,
                case.branch.name,
                stage,
                state,
                "；".join(f"{name(n)} {day:%Y-%m-%d}" for n, day in completed) or "—",
                "、".join(str(n) for n, day in completed if day >= start) or "无",
                following,
            ]
        )
    return list(HEADERS), rows


# the app's own section replaces the guarded placeholder of dangjian/ledgers/sections.py
register_ledger_section(40, KEY, TITLE, development_records)
