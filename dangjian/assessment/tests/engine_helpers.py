"""Helpers of the engine / annual tests: branches, points set per criterion, a quick total."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dangjian.assessment.models import AssessmentRound, Criterion, Score, ScoreSheet
from dangjian.core.scope import SYSTEM
from dangjian.orgs.services import org_create


def more_branches(mine: Any, count: int, start: int = 1) -> list[Any]:
    return [
        org_create(name=f"测试{i}队党支部", kind="branch", parent=mine.committee, actor=SYSTEM)
        for i in range(start, start + count)
    ]


def set_points(rnd: AssessmentRound, branch: Any, points: dict[str, Any]) -> None:
    """Scorer points by criterion code (None clears)."""
    for code, value in points.items():
        updated = Score.objects.filter(
            sheet__round=rnd, sheet__branch=branch, criterion__code=code
        ).update(points=None if value is None else Decimal(str(value)))
        assert updated == 1, code


def give_total(rnd: AssessmentRound, branch: Any, total: Any) -> None:
    """Fill the criteria in scheme order with full points until ``total`` is reached."""
    left = Decimal(str(total))
    criteria = Criterion.objects.filter(category__scheme=rnd.scheme, is_bonus=False).order_by(
        "category__sort_order", "sort_order", "id"
    )
    values: dict[str, Any] = {}
    for crit in criteria:
        take = min(left, crit.max_points)
        values[crit.code] = take
        left -= take
    assert left == 0, "total above the scheme's points"
    set_points(rnd, branch, values)


def sheet(rnd: AssessmentRound, branch: Any) -> ScoreSheet:
    return ScoreSheet.objects.get(round=rnd, branch=branch)


def innovate(rnd: AssessmentRound, *branches: Any) -> None:
    ScoreSheet.objects.filter(round=rnd, branch__in=branches).update(has_innovation=True)
