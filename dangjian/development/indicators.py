"""Indicator for the assessment engine: share of development steps completed on time.

``development.steps_on_time``: per branch, of the steps with a deadline (a maximum interval)
completed in the period, the share completed within it (1.0 when none fell due). The records
behind the number are the step records. One query whatever the number of branches.
"""

from __future__ import annotations

from typing import Any

from dangjian.core.periods import Period
from dangjian.core.registries import IndicatorValue, register_indicator
from dangjian.development.models import StepRecord


@register_indicator("development.steps_on_time", "发展党员步骤按期完成率", "比例")
def steps_on_time(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    rows = (
        StepRecord.objects.filter(
            case__branch_id__in=list(branch_ids),
            completed_on__gte=period.start,
            completed_on__lte=period.end,
            window_latest__isnull=False,
        )
        .order_by("case__branch_id", "pk")
        .values_list("case__branch_id", "pk", "on_time")
    )
    found: dict[int, list[tuple[int, bool]]] = {}
    for branch_id, pk, on_time in rows:
        found.setdefault(branch_id, []).append((pk, on_time))
    result: dict[int, IndicatorValue] = {}
    for branch_id in branch_ids:
        items: list[Any] = found.get(branch_id, [])
        on_time_count = sum(1 for _, ok in items if ok)
        value = on_time_count / len(items) if items else 1.0
        result[branch_id] = IndicatorValue(
            value=value,
            records=tuple(("development.steprecord", pk) for pk, _ in items),
            detail=f"{period.label}有期限的步骤 {len(items)} 个，按期完成 {on_time_count} 个",
        )
    return result


@register_indicator("development.overdue_cases", "发展党员超期未办件数", "件")
def overdue_cases(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """Active cases whose next step's latest date passed before the end of the period (or
    today, if earlier). Lower is better; one query."""
    from django.utils import timezone

    from dangjian.development.models import DevelopmentCase

    day = min(period.end, timezone.localdate())
    rows = (
        DevelopmentCase.objects.filter(
            branch_id__in=list(branch_ids),
            state=DevelopmentCase.State.ACTIVE,
            next_latest__lt=day,
        )
        .order_by("branch_id", "pk")
        .values_list("branch_id", "pk")
    )
    found: dict[int, list[int]] = {pk: [] for pk in branch_ids}
    for branch_id, pk in rows:
        found[branch_id].append(pk)
    return {
        branch_id: IndicatorValue(
            value=float(len(cases)),
            records=tuple(("development.developmentcase", pk) for pk in cases),
            detail=f"超期未办 {len(cases)} 件" if cases else "无超期",
        )
        for branch_id, cases in found.items()
    }


@register_indicator("development.league_recommended", "团员推优发展对象人数", "人")
def league_recommended(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """Active development cases (started by the end of the period) whose person is a Communist
    Youth League member (推优入党): one query."""
    from dangjian.development.models import DevelopmentCase
    from dangjian.people.models import PoliticalStatus

    rows = (
        DevelopmentCase.objects.filter(
            branch_id__in=list(branch_ids),
            state=DevelopmentCase.State.ACTIVE,
            person__political_status=PoliticalStatus.LEAGUE_MEMBER,
            created_at__date__lte=period.end,
        )
        .order_by("branch_id", "pk")
        .values_list("branch_id", "pk")
    )
    found: dict[int, list[int]] = {pk: [] for pk in branch_ids}
    for branch_id, pk in rows:
        found[branch_id].append(pk)
    return {
        branch_id: IndicatorValue(
            value=float(len(cases)),
            records=tuple(("development.developmentcase", pk) for pk in cases),
            detail=f"团员发展对象 {len(cases)} 人",
        )
        for branch_id, cases in found.items()
    }
