"""round_compute: every scoring rule on real rows (sums, caps, deductions, bonus, veto, stars,
quotas, precondition, tie-break, computed criteria from real records), and its query count."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.assessment.models import (
    AssessmentRound,
    Category,
    Criterion,
    DeductionItem,
    Score,
    ScoringMethod,
)
from dangjian.assessment.services.engine import effective_points, round_compute, round_period
from dangjian.assessment.testing import build_round, build_scheme
from dangjian.assessment.tests.engine_helpers import (
    give_total,
    innovate,
    more_branches,
    set_points,
    sheet,
)
from dangjian.audit.models import AuditEvent

D = Decimal


@pytest.fixture
def scheme(mine):
    return build_scheme(mine.committee)


@pytest.fixture
def rnd(mine, scheme):
    return build_round(scheme, [mine.branch_a, mine.branch_b])


def test_sums_and_category_totals(mine, rnd):
    set_points(rnd, mine.branch_a, {"A1": 18, "A2": 19.5, "B1": 7, "C1": 6.25, "F2": 5})
    summary = round_compute(round_id=rnd.pk)
    a = sheet(rnd, mine.branch_a)
    assert a.total == D("55.75")
    assert a.base_total == D("55.75") and a.bonus_total == D("0.00")
    assert a.category_totals == {
        "A": "37.50",
        "B": "7.00",
        "C": "6.25",
        "D": "0.00",
        "E": "0.00",
        "F": "5.00",
    }
    assert a.computed_at is not None and a.rank == 1
    # 12 criteria, 5 scored: 7 listed as unscored and counted as 0
    assert len(summary["unscored"][a.pk]) == 7
    assert "7项未评分" in a.star_note
    b = sheet(rnd, mine.branch_b)
    assert b.total == D("0.00") and b.rank == 2 and b.star == 1
    rnd.refresh_from_db()
    assert rnd.computed_at is not None
    assert AuditEvent.objects.filter(object_type="assessment.assessmentround").exists()


def test_points_above_the_maximum_are_capped_per_criterion(mine, rnd):
    set_points(rnd, mine.branch_a, {"A1": 25, "B1": -3})  # A1 is worth 20
    round_compute(round_id=rnd.pk)
    a = sheet(rnd, mine.branch_a)
    assert a.category_totals["A"] == "20.00"
    assert a.category_totals["B"] == "0.00"
    assert a.total == D("20.00")


def test_deductions_from_full_marks_with_floor(mine, rnd):
    crit = Criterion.objects.get(category__scheme=rnd.scheme, code="D1")  # 5 points
    crit.method = ScoringMethod.DEDUCTION
    crit.save()
    late = DeductionItem.objects.create(criterion=crit, text="会议记录不全", points=D("0.5"))
    missing = DeductionItem.objects.create(criterion=crit, text="未按期换届", points=D("2"))
    score_a = Score.objects.get(sheet__round=rnd, sheet__branch=mine.branch_a, criterion=crit)
    score_a.deductions = [{"item": late.pk, "times": 3}, {"item": missing.pk, "times": 1}]
    score_a.save()
    score_b = Score.objects.get(sheet__round=rnd, sheet__branch=mine.branch_b, criterion=crit)
    score_b.deductions = [{"item": missing.pk, "times": 4}]  # 8 > 5: floor at 0
    score_b.save()
    round_compute(round_id=rnd.pk)
    score_a.refresh_from_db()
    score_b.refresh_from_db()
    assert score_a.computed_points == D("1.50")  # 5 − 1.5 − 2
    assert "会议记录不全×3" in score_a.computed_detail
    assert score_b.computed_points == D("0.00")
    assert sheet(rnd, mine.branch_a).category_totals["D"] == "1.50"
    # a deduction criterion without faults keeps full marks; the scorer's points override
    d2 = Score.objects.get(sheet__round=rnd, sheet__branch=mine.branch_a, criterion__code="D2")
    assert d2.computed_points is None  # D2 is manual: nothing computed
    Score.objects.filter(pk=score_b.pk).update(deductions=[], points=D("4"))
    round_compute(round_id=rnd.pk)
    score_b.refresh_from_db()
    assert score_b.computed_points == D("5.00")
    assert effective_points(score_b) == D("4")


def test_bonus_is_capped_by_the_scheme(mine, scheme):
    scheme.bonus_cap = D("5")
    scheme.save()
    cat = Category.objects.get(scheme=scheme, code="A")
    for code in ("X1", "X2"):
        Criterion.objects.create(
            category=cat,
            code=code,
            title="创新加分",
            standard="-",
            max_points=D("4"),
            is_bonus=True,
        )
    rnd = build_round(scheme, [mine.branch_a, mine.branch_b])
    give_total(rnd, mine.branch_a, 88)
    set_points(rnd, mine.branch_a, {"X1": 4, "X2": 3})
    give_total(rnd, mine.branch_b, 80)
    set_points(rnd, mine.branch_b, {"X1": 2})
    innovate(rnd, mine.branch_a)
    round_compute(round_id=rnd.pk)
    a, b = sheet(rnd, mine.branch_a), sheet(rnd, mine.branch_b)
    assert (a.base_total, a.bonus_total, a.total) == (D("88.00"), D("5.00"), D("93.00"))
    assert a.category_totals["A"] == "40.00"  # bonus not inside the category
    assert a.star == 5
    assert (b.bonus_total, b.total) == (D("2.00"), D("82.00"))


def test_veto_keeps_the_score_and_removes_the_star(mine, rnd):
    crit = Criterion.objects.get(category__scheme=rnd.scheme, code="C1")
    crit.is_veto = True
    crit.save()
    give_total(rnd, mine.branch_a, 95)
    give_total(rnd, mine.branch_b, 70)
    innovate(rnd, mine.branch_a)
    Score.objects.filter(sheet__branch=mine.branch_a, criterion=crit).update(
        vetoed=True, reason="发生严重违纪问题"
    )
    # a vetoed flag on a criterion that is not a veto criterion has no effect
    Score.objects.filter(sheet__branch=mine.branch_b, criterion__code="C2").update(vetoed=True)
    summary = round_compute(round_id=rnd.pk)
    a, b = sheet(rnd, mine.branch_a), sheet(rnd, mine.branch_b)
    assert a.vetoed and a.total == D("95.00") and a.rank == 1
    assert a.star == 0 and a.star_by_score == 5
    assert "发生严重违纪问题" in a.veto_reason
    assert "一票否决" in a.star_note
    assert not b.vetoed and b.star == 3
    assert summary["vetoed"] == [a.pk]


@pytest.mark.parametrize(
    ("total", "star"),
    [("90.00", 5), ("89.99", 4), ("80.00", 4), ("79.99", 3), ("70", 3), ("60", 2), ("59.99", 1)],
)
def test_star_thresholds_at_the_boundaries(mine, rnd, total, star):
    give_total(rnd, mine.branch_a, total)
    innovate(rnd, mine.branch_a)
    round_compute(round_id=rnd.pk)
    a = sheet(rnd, mine.branch_a)
    assert a.total == D(total)
    assert (a.star, a.star_by_score) == (star, star)


def test_thresholds_come_from_the_round_snapshot(mine, rnd):
    rnd.star_rules = {**rnd.star_rules, "assessment.star_thresholds": {"3": 50, "1": 0}}
    rnd.save()
    give_total(rnd, mine.branch_a, 55)
    round_compute(round_id=rnd.pk)
    assert sheet(rnd, mine.branch_a).star == 3


def test_five_stars_need_an_innovation_project(mine, rnd):
    give_total(rnd, mine.branch_a, 96)
    give_total(rnd, mine.branch_b, 91)
    innovate(rnd, mine.branch_b)
    round_compute(round_id=rnd.pk)
    a, b = sheet(rnd, mine.branch_a), sheet(rnd, mine.branch_b)
    assert (a.star_by_score, a.star) == (5, 4)
    assert "无创新项目" in a.star_note
    assert b.star == 5 and b.star_note == ""
    rnd.star_rules = {**rnd.star_rules, "assessment.five_star_requires_innovation": False}
    rnd.save()
    round_compute(round_id=rnd.pk)
    assert sheet(rnd, mine.branch_a).star == 5


def test_quotas_by_rank(mine, scheme):
    extra = more_branches(mine, 8)
    branches = [mine.branch_a, mine.branch_b, *extra]  # 10 branches
    rnd = build_round(scheme, branches)
    rnd.apply_quotas = True
    rnd.save()
    for i, branch in enumerate(branches):
        give_total(rnd, branch, 99 - i)  # 99 … 90: all reach five stars
    innovate(rnd, *branches)
    round_compute(round_id=rnd.pk)
    stars = [sheet(rnd, b).star for b in branches]
    # 10 % of 10 → one 5★; 40 % → four 4★; the rest drop to 3★
    assert stars == [5, 4, 4, 4, 4, 3, 3, 3, 3, 3]
    second = sheet(rnd, branches[1])
    assert second.star_by_score == 5 and "名额" in second.star_note
    assert sheet(rnd, branches[0]).star_note == ""
    # without quotas everyone keeps five stars
    rnd.apply_quotas = False
    rnd.save()
    round_compute(round_id=rnd.pk)
    assert {sheet(rnd, b).star for b in branches} == {5}


def test_tie_break_is_deterministic_and_documented(mine, scheme):
    c = more_branches(mine, 1)[0]
    rnd = build_round(scheme, [mine.branch_a, mine.branch_b, c])
    # equal totals 60: B has more in category A (first category) than A; C equals A and
    # comes after it by the tree order (path)
    set_points(rnd, mine.branch_a, {"A1": 20, "A2": 10, "B1": 7.5, "B2": 7.5, "C1": 7.5, "C2": 7.5})
    set_points(rnd, mine.branch_b, {"A1": 20, "A2": 20, "B1": 7.5, "B2": 7.5, "C1": 5})
    set_points(rnd, c, {"A1": 20, "A2": 10, "B1": 7.5, "B2": 7.5, "C1": 7.5, "C2": 7.5})
    round_compute(round_id=rnd.pk)
    ranks = {b.pk: sheet(rnd, b).rank for b in (mine.branch_a, mine.branch_b, c)}
    assert {sheet(rnd, b).total for b in (mine.branch_a, mine.branch_b, c)} == {D("60.00")}
    assert mine.branch_a.path < c.path
    assert ranks == {mine.branch_b.pk: 1, mine.branch_a.pk: 2, c.pk: 3}


def test_count_criterion_through_its_per_unit_formula(mine, rnd):
    crit = Criterion.objects.get(category__scheme=rnd.scheme, code="F1")  # 5 points
    crit.method = ScoringMethod.COUNT
    crit.formula = {"kind": "per_unit", "points": 1.5, "direction": "deduct"}
    crit.save()
    Score.objects.filter(sheet__branch=mine.branch_a, criterion=crit).update(count_value=2)
    round_compute(round_id=rnd.pk)
    a = Score.objects.get(sheet__branch=mine.branch_a, criterion=crit)
    b = Score.objects.get(sheet__branch=mine.branch_b, criterion=crit)
    assert (a.computed_value, a.computed_points) == (2.0, D("2.00"))
    assert b.computed_points is None and b.computed_detail == "未录入计数"
    assert sheet(rnd, mine.branch_a).category_totals["F"] == "2.00"


def test_indicator_points_from_real_meetings(mine, rnd):
    from dangjian.orglife.tests.helpers import add_members, hold, types

    types()
    crit = Criterion.objects.get(category__scheme=rnd.scheme, code="A2")  # 20 points
    crit.method = ScoringMethod.INDICATOR
    crit.indicator_key = "orglife.quorum_rate"
    crit.formula = {"kind": "linear", "zero_at": 0, "full_at": 100}
    crit.save()
    members = add_members(mine, 3)
    ids = [mine.member_a.pk, *[p.pk for p in members]]
    ok = hold(mine, "branch_general", dt.date(2026, 2, 10), invitees=ids, present=ids[:3])
    low = hold(mine, "branch_general", dt.date(2026, 3, 10), invitees=ids, present=ids[:2])
    outside = hold(mine, "branch_general", dt.date(2026, 4, 10), invitees=ids, present=ids)
    with time_machine.travel(dt.datetime(2026, 4, 20, 3, tzinfo=dt.UTC), tick=False):
        round_compute(round_id=rnd.pk)
    a = Score.objects.get(sheet__branch=mine.branch_a, criterion=crit)
    assert a.computed_value == 50.0
    assert a.computed_points == D("10.00")
    assert sorted(map(tuple, a.computed_records)) == sorted(
        [("orglife.meeting", ok.pk), ("orglife.meeting", low.pk)]
    )
    assert ["orglife.meeting", outside.pk] not in a.computed_records
    assert "指标值 50" in a.computed_detail
    # branch B held no meeting: the indicator says 100 % (nothing to be quorate)
    b = Score.objects.get(sheet__branch=mine.branch_b, criterion=crit)
    assert b.computed_points == D("20.00") and b.computed_records == []
    assert sheet(rnd, mine.branch_a).category_totals["A"] == "10.00"
    # the scorer's points override the computed ones
    Score.objects.filter(pk=a.pk).update(points=D("12"))
    round_compute(round_id=rnd.pk)
    assert sheet(rnd, mine.branch_a).category_totals["A"] == "12.00"


def test_unknown_indicator_or_missing_formula_scores_nothing(mine, rnd):
    Criterion.objects.filter(category__scheme=rnd.scheme, code="A1").update(
        method=ScoringMethod.INDICATOR, indicator_key="nowhere.nothing"
    )
    Criterion.objects.filter(category__scheme=rnd.scheme, code="A2").update(
        method=ScoringMethod.INDICATOR, indicator_key="orglife.silent_days", formula={}
    )
    round_compute(round_id=rnd.pk)
    a1 = Score.objects.get(sheet__branch=mine.branch_a, criterion__code="A1")
    a2 = Score.objects.get(sheet__branch=mine.branch_a, criterion__code="A2")
    assert a1.computed_points is None and "未知的自动指标" in a1.computed_detail
    assert a2.computed_points is None and "未设置计分公式" in a2.computed_detail
    assert a2.computed_value is not None


def test_period_of_the_round(mine, rnd):
    period = round_period(rnd)
    assert (period.kind, period.start, period.end) == (
        "quarter",
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
    )
    rnd.period_end = dt.date(2026, 2, 15)
    assert round_period(rnd).kind == "custom"


def test_scope_of_the_actor(mine, rnd):
    round_compute(round_id=rnd.pk, actor=mine.users["shuji"])
    with pytest.raises(PermissionDenied):
        round_compute(round_id=rnd.pk, actor=mine.users["secretary_a"])
    with pytest.raises(PermissionDenied):
        round_compute(round_id=rnd.pk, actor=mine.users["union"])


def _count(rnd: AssessmentRound) -> int:
    with CaptureQueriesContext(connection) as ctx:
        round_compute(round_id=rnd.pk)
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_branches(mine):
    scheme = build_scheme(mine.committee, criteria_per_category=4)
    Criterion.objects.filter(category__scheme=scheme, code__in=["A1", "A2"]).update(
        method=ScoringMethod.INDICATOR,
        indicator_key="orglife.attendance_rate",
        formula={"kind": "linear", "zero_at": 0, "full_at": 100},
    )
    Criterion.objects.filter(category__scheme=scheme, code="B1").update(
        method=ScoringMethod.INDICATOR,
        indicator_key="orglife.quorum_rate",
        formula={"kind": "steps", "steps": [[90, 1], [0, 0.5]]},
    )
    crit = Criterion.objects.get(category__scheme=scheme, code="D1")
    crit.method = ScoringMethod.DEDUCTION
    crit.save()
    DeductionItem.objects.create(criterion=crit, text="x", points=D("1"))
    small = build_round(scheme, [mine.branch_a, mine.branch_b])
    large = build_round(scheme, [mine.branch_a, mine.branch_b, *more_branches(mine, 20)])
    for r in (small, large):
        give_total(r, mine.branch_a, 77)
    n_small, n_large = _count(small), _count(large)
    assert n_small == n_large
    assert sheet(large, mine.branch_a).computed_at is not None
