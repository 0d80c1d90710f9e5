"""Helpers of the results / reports / API tests: computed (and published) rounds over branches."""

from __future__ import annotations

from typing import Any

from dangjian.assessment.models import AssessmentRound, AssessmentScheme, Score
from dangjian.assessment.services.engine import round_compute
from dangjian.assessment.testing import build_round, build_scheme
from dangjian.assessment.tests.engine_helpers import give_total


def scheme_for(mine: Any) -> AssessmentScheme:
    found = AssessmentScheme.objects.filter(party_org=mine.committee).first()
    return found or build_scheme(mine.committee)


def graded_round(
    mine: Any,
    totals: dict[Any, Any],
    *,
    quarter: int = 1,
    public: bool = True,
    state: str = "",
) -> AssessmentRound:
    """A round over ``totals``' branches, each given its total, computed; announced if public."""
    scheme = scheme_for(mine)
    rnd = build_round(scheme, list(totals), quarter=quarter, state=AssessmentRound.State.REVIEW)
    for branch, total in totals.items():
        give_total(rnd, branch, total)
    Score.objects.filter(sheet__round=rnd, points__isnull=False).update(
        reason="会议记录不全", evidence_methods=["report", "documents"]
    )
    round_compute(round_id=rnd.pk)
    if public:
        AssessmentRound.objects.filter(pk=rnd.pk).update(
            is_public=True, state=state or AssessmentRound.State.NOTICE
        )
    elif state:
        AssessmentRound.objects.filter(pk=rnd.pk).update(state=state)
    rnd.refresh_from_db()
    return rnd
