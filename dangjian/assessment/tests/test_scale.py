"""round_compute at 5,000 branches × the standard 67 criteria (with its indicators): the same
number of queries as for 50 branches (issue 4 "Done means")."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.assessment.models import (
    AssessmentRound,
    Criterion,
    Score,
    ScoreSheet,
    ScoringMethod,
    SelfCheck,
)
from dangjian.assessment.services.engine import round_compute
from dangjian.assessment.services.schemes import scheme_load_standard
from dangjian.core.rules import rules
from dangjian.core.scope import SYSTEM
from dangjian.demo.bulk import next_id, tree_path
from dangjian.orglife.models import Meeting
from dangjian.orglife.tests.helpers import at, types
from dangjian.orgs.models import PartyOrg


def bulk_branches(committee: PartyOrg, count: int) -> list[int]:
    start = next_id(PartyOrg)
    rows = []
    for offset in range(count):
        pk = start + offset
        path, depth = tree_path(committee.path, pk)
        rows.append(
            PartyOrg(
                pk=pk, name=f"支部{pk}", kind="branch", parent=committee, path=path, depth=depth
            )
        )
    PartyOrg.objects.bulk_create(rows, batch_size=1000)
    theme = types()["theme_day"]
    Meeting.objects.bulk_create(
        [
            Meeting(
                org_id=row.pk,
                meeting_type=theme,
                title="主题党日",
                planned_at=at(dt.date(2026, 2, 10)),
                held_on=dt.date(2026, 2, 10),
                period_start=dt.date(2026, 2, 1),
                period_end=dt.date(2026, 2, 28),
                state="archived",
            )
            for row in rows[::2]
        ],
        batch_size=1000,
    )
    return [row.pk for row in rows]


def bulk_round(scheme, branch_ids: list[int], name: str) -> AssessmentRound:
    """A scoring round with sheets and scores inserted in bulk (a third scored by hand)."""
    rnd = AssessmentRound.objects.create(
        party_org=scheme.party_org,
        scheme=scheme,
        name=name,
        year=2026,
        quarter=1,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        opens_on=dt.date(2026, 4, 1),
        closes_on=dt.date(2026, 4, 20),
        state=AssessmentRound.State.SCORING,
        star_rules=rules(
            "assessment.star_thresholds",
            "assessment.five_star_requires_innovation",
            "assessment.star_quotas",
        ),
        apply_quotas=True,
    )
    sheets = ScoreSheet.objects.bulk_create(
        [ScoreSheet(round=rnd, branch_id=b, branch_name=f"支部{b}") for b in branch_ids],
        batch_size=2000,
    )
    criteria = list(Criterion.objects.filter(category__scheme=scheme))
    Score.objects.bulk_create(
        (
            Score(
                sheet=s,
                criterion=c,
                points=c.max_points * 3 / 4
                if c.method == ScoringMethod.MANUAL and (s.pk + c.pk) % 3
                else None,
            )
            for s in sheets
            for c in criteria
        ),
        batch_size=5000,
    )
    SelfCheck.objects.bulk_create((SelfCheck(sheet=s) for s in sheets), batch_size=2000)
    return rnd


def _compute(rnd: AssessmentRound) -> tuple[int, float]:
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        round_compute(round_id=rnd.pk)
    return len(ctx.captured_queries), time.perf_counter() - started


@pytest.mark.slow
def test_5000_branches_67_criteria_same_queries_as_50(mine):
    scheme = scheme_load_standard(actor=SYSTEM, party_org=mine.committee, year=2026)
    criteria = Criterion.objects.filter(category__scheme=scheme)
    assert criteria.count() == 67
    assert criteria.filter(method=ScoringMethod.INDICATOR).count() >= 20
    branch_ids = bulk_branches(mine.committee, 5000)
    small = bulk_round(scheme, branch_ids[:50], "50个支部")
    large = bulk_round(scheme, branch_ids, "5000个支部")
    n_small, _ = _compute(small)
    n_large, seconds = _compute(large)
    assert n_small == n_large, (n_small, n_large)
    print(f"round_compute 5,000 × 67: {n_large} queries, {seconds:.1f} s")
    sheets = ScoreSheet.objects.filter(round=large)
    assert sheets.filter(computed_at__isnull=True).count() == 0
    ranks = sorted(r or 0 for r in sheets.values_list("rank", flat=True))
    assert ranks == list(range(1, 5001))
    # quotas: at most 10 % five-star, 40 % four-star
    assert sheets.filter(star=5).count() <= 500
    assert sheets.filter(star=4).count() <= 2000
    # indicator criteria got their points and the meetings behind them
    first = Score.objects.filter(
        sheet__round=large, sheet__branch_id=branch_ids[0], criterion__method="indicator"
    ).values_list("computed_records", flat=True)
    assert any(["orglife.meeting", pk] in records for records in first for pk in [_meeting(0)])
    assert (
        Score.objects.filter(
            sheet__round=large,
            criterion__method=ScoringMethod.INDICATOR,
            computed_points__isnull=False,
        ).count()
        >= 20 * 5000 * 0.9
    )


def _meeting(index: int) -> int:
    return int(Meeting.objects.order_by("pk").values_list("pk", flat=True)[index])
