"""Indicator for the assessment engine: did the branch close its democratic appraisal?"""

from __future__ import annotations

from typing import Any

from dangjian.appraisal.models import AppraisalRound
from dangjian.core.periods import Period
from dangjian.core.registries import IndicatorValue, register_indicator


@register_indicator("appraisal.completed", "民主评议党员已完成", "次")
def appraisal_completed(branch_ids: list[int], period: Period) -> dict[int, IndicatorValue]:
    """1 per branch whose round was closed within the period, else 0 (one query)."""
    closed: dict[int, list[Any]] = {pk: [] for pk in branch_ids}
    rows = AppraisalRound.objects.filter(
        branch_id__in=list(branch_ids),
        state=AppraisalRound.State.CLOSED,
        closed_at__date__gte=period.start,
        closed_at__date__lte=period.end,
    ).values_list("branch_id", "pk", "year")
    for branch_id, pk, year in rows:
        closed[branch_id].append((pk, year))
    return {
        branch_id: IndicatorValue(
            value=float(len(found)),
            records=tuple(("appraisal.appraisalround", pk) for pk, _ in found),
            detail="；".join(f"{year}年度民主评议已结束" for _, year in found) or "未完成",
        )
        for branch_id, found in closed.items()
    }
