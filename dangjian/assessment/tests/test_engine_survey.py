"""Survey criteria (满意度测评) in round_compute: real surveys and responses; below the minimum
number of respondents the survey does not count and the detail says why."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from dangjian.assessment.models import Criterion, Score, ScoringMethod
from dangjian.assessment.services.engine import round_compute
from dangjian.assessment.testing import build_round, build_scheme
from dangjian.surveys.selectors import scores_for
from dangjian.surveys.tests.helpers import answer_all, respondents, survey


def test_survey_points_and_the_minimum_respondents(mine):
    scheme = build_scheme(mine.committee)
    crit = Criterion.objects.get(category__scheme=scheme, code="B2")  # 7.5 points
    crit.method = ScoringMethod.SURVEY
    crit.survey_audience = "all"
    crit.formula = {"kind": "linear", "zero_at": 0, "full_at": 100}
    crit.save()
    rnd = build_round(scheme, [mine.branch_a, mine.branch_b])
    context = f"assessment.round:{rnd.pk}"
    s_a = survey(mine, org=mine.branch_a, context=context, minimum=3)
    s_b = survey(mine, org=mine.branch_b, context=context, minimum=3)
    answer_all(s_a, respondents(mine, 3, start=300), [5, 4, 3])
    answer_all(s_b, respondents(mine, 2, branch=mine.branch_b, start=400), [5, 5])
    round_compute(round_id=rnd.pk)

    expected = scores_for(context, [mine.branch_a.pk], "all")[mine.branch_a.pk]
    assert expected.counted and expected.score is not None
    a = Score.objects.get(sheet__branch=mine.branch_a, criterion=crit)
    assert a.computed_value == expected.score
    points = (Decimal("7.5") * Decimal(str(expected.score)) / 100).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    assert a.computed_points == points
    assert "参评 3 人" in a.computed_detail

    b = Score.objects.get(sheet__branch=mine.branch_b, criterion=crit)
    assert b.computed_points is None
    assert "参评 2 人" in b.computed_detail and "未达到最少参评人数" in b.computed_detail
    assert b.sheet.category_totals["B"] == "0.00"
    assert Score.objects.get(pk=a.pk).sheet.category_totals["B"] == str(points)
