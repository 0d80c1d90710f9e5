"""Test builders for the assessment engine: a small published scheme and a round with sheets.

Used by the assessment tests (and benches) so each test states only what matters to it.
Built directly with the ORM, like ``core.testing.build_mini_mine``; services are tested with
their own tests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dangjian.assessment.models import (
    AssessmentRound,
    AssessmentScheme,
    Category,
    Criterion,
    Score,
    ScoreSheet,
    ScoringMethod,
    SelfCheck,
)
from dangjian.core.rules import rules

# (code, name, domain, points) — the six categories of 六考一评
CATEGORIES: tuple[tuple[str, str, str, int], ...] = (
    ("A", "党建工作", "organisation", 40),
    ("B", "宣传思想工作", "publicity", 15),
    ("C", "党风廉政建设", "discipline", 15),
    ("D", "工会工作", "union", 10),
    ("E", "共青团工作", "youth_league", 10),
    ("F", "社会治安及武装保卫", "security", 10),
)


def build_scheme(
    party_org: Any,
    *,
    year: int = 2026,
    criteria_per_category: int = 2,
    publish: bool = True,
    bonus_cap: Decimal = Decimal("0"),
) -> AssessmentScheme:
    """Six categories summing to 100, each split evenly into manual criteria."""
    scheme = AssessmentScheme.objects.create(
        party_org=party_org,
        name=f"{year}年度党支部考核方案",
        year=year,
        state=AssessmentScheme.State.PUBLISHED if publish else AssessmentScheme.State.DRAFT,
        published_at=timezone.now() if publish else None,
        bonus_cap=bonus_cap,
    )
    for order, (code, name, domain, points) in enumerate(CATEGORIES):
        category = Category.objects.create(
            scheme=scheme,
            code=code,
            name=name,
            domain=domain,
            max_points=Decimal(points),
            sort_order=order,
        )
        each = Decimal(points) / criteria_per_category
        for i in range(criteria_per_category):
            Criterion.objects.create(
                category=category,
                code=f"{code}{i + 1}",
                title=f"{name}第{i + 1}款",
                standard="按要求开展得满分，每缺一项扣1分。",
                max_points=each.quantize(Decimal("0.01")),
                method=ScoringMethod.MANUAL,
                evidence_methods=["report", "documents"],
                sort_order=i,
            )
    return scheme


def build_round(
    scheme: AssessmentScheme,
    branches: list[Any],
    *,
    state: str = AssessmentRound.State.SCORING,
    quarter: int = 1,
    name: str = "",
) -> AssessmentRound:
    """A quarterly round over ``branches``: one sheet each, one score per criterion."""
    start = dt.date(scheme.year, 3 * quarter - 2, 1)
    end = (dt.date(scheme.year + (quarter == 4), (3 * quarter) % 12 + 1, 1)) - dt.timedelta(days=1)
    star_rules = rules(
        "assessment.star_thresholds",
        "assessment.five_star_requires_innovation",
        "assessment.star_quotas",
    )
    rnd = AssessmentRound.objects.create(
        party_org=scheme.party_org,
        scheme=scheme,
        name=name or f"{scheme.year}年第{quarter}季度考核",
        year=scheme.year,
        quarter=quarter,
        period_start=start,
        period_end=end,
        opens_on=end,
        closes_on=end + dt.timedelta(days=20),
        state=state,
        star_rules=star_rules,
    )
    sheets = ScoreSheet.objects.bulk_create(
        ScoreSheet(round=rnd, branch=b, branch_name=b.name) for b in branches
    )
    criteria = list(Criterion.objects.filter(category__scheme=scheme))
    Score.objects.bulk_create(Score(sheet=s, criterion=c) for s in sheets for c in criteria)
    SelfCheck.objects.bulk_create(SelfCheck(sheet=s) for s in sheets)
    return rnd
