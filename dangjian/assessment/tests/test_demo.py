"""After ``dangjian demo`` the mine has four finished quarters and an open round, last year's
annual evaluation and star members, so the dashboard shows trends and stars right away."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.assessment.models import (
    AnnualEvaluation,
    AssessmentRound,
    AssessmentScheme,
    Criterion,
    Objection,
    Score,
    ScoringMethod,
    SpotCheck,
    StarMemberRating,
)
from dangjian.core.periods import Period
from dangjian.demo.mine import load_demo_mine
from dangjian.orgs.models import PartyOrg

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def test_demo_has_four_finished_quarters_an_open_round_and_a_published_year():
    load_demo_mine()
    branches = PartyOrg.objects.filter(kind="branch").count()
    schemes = AssessmentScheme.objects.filter(state=AssessmentScheme.State.PUBLISHED)
    assert schemes.exists()
    for scheme in schemes:
        assert scheme.categories.count() == 6
        assert Criterion.objects.filter(category__scheme=scheme).count() == 67

    current = Period.containing(timezone.localdate(), "quarter")
    finals = list(AssessmentRound.objects.filter(state="final").order_by("period_start"))
    assert len(finals) == 4
    assert finals[-1].period_end == current.previous().end  # the four quarters before this one
    for rnd in finals:
        sheets = list(rnd.sheets.all())
        assert len(sheets) == branches == 15
        assert rnd.is_public and rnd.finalised_at is not None
        assert sorted(s.rank or 0 for s in sheets) == list(range(1, 16))  # distinct ranks
        assert all(s.total is not None and 50 < s.total <= 105 for s in sheets)
        # automatic criteria were computed from the ledgers, with the records behind them
        computed = Score.objects.filter(
            sheet__round=rnd, criterion__method=ScoringMethod.INDICATOR
        ).exclude(computed_points=None)
        assert computed.count() >= 20 * 15
        assert computed.exclude(computed_records=[]).exists()
        # every deduction of a manual criterion gives its reason
        manual = Score.objects.filter(sheet__round=rnd, criterion__method=ScoringMethod.MANUAL)
        for score in manual.select_related("criterion"):
            if score.points is not None and score.points < score.criterion.max_points:
                assert score.reason, score
        assert SpotCheck.objects.filter(round=rnd).count() >= 3
        assert rnd.sheets.filter(is_model_site=True).exists()
    stars = {s.star for rnd in finals for s in rnd.sheets.all()}
    assert {3, 4} <= stars  # stars show right away
    assert AssessmentRound.objects.filter(state="final", sheets__vetoed=True).exists()
    upheld = Objection.objects.get(state=Objection.State.UPHELD)
    assert upheld.criteria.exists() and upheld.resolution
    assert Objection.objects.filter(state=Objection.State.REJECTED).exists()

    open_round = AssessmentRound.objects.exclude(state="final").get()
    assert open_round.state == AssessmentRound.State.SELF_CHECK
    assert open_round.period_start == current.start
    assert not open_round.is_public
    submitted = open_round.sheets.exclude(self_check__submitted_at=None).count()
    assert 0 < submitted < branches

    evaluation = AnnualEvaluation.objects.get()
    assert evaluation.is_public and evaluation.results.count() == branches
    ratings = StarMemberRating.objects.filter(evaluation=evaluation)
    assert ratings.count() > 400
    assert not ratings.filter(combined=None).exists()
    assert ratings.exclude(masses_score=None).count() > 400  # mass evaluation counted
