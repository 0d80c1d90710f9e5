"""Annual evaluation (年终总评) and star members (双评): weights, missing quarters, veto, moves
over two years, member/branch/masses scores, permissions, locking and publication."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.assessment.errors import Locked, StaleVersion
from dangjian.assessment.models import (
    AnnualEvaluation,
    AnnualResult,
    AssessmentRound,
    Criterion,
    Score,
    StarMemberRating,
)
from dangjian.assessment.services.annual import (
    annual_compute,
    annual_publish,
    star_member_score_save,
    star_members_compute,
)
from dangjian.assessment.services.engine import round_compute
from dangjian.assessment.testing import build_round, build_scheme
from dangjian.assessment.tests.engine_helpers import give_total, innovate
from dangjian.core.models import Rule
from dangjian.core.scope import SYSTEM, restrict

D = Decimal
FINAL = AssessmentRound.State.FINAL


def quarter(scheme, mine, q, totals, *, state=FINAL, veto=()):
    """A computed round of quarter ``q`` with the given totals {branch: total}."""
    rnd = build_round(scheme, list(totals), quarter=q, state=state)
    for branch, total in totals.items():
        give_total(rnd, branch, total)
    innovate(rnd, *totals)
    for branch in veto:
        crit = Criterion.objects.get(category__scheme=scheme, code="C1")
        crit.is_veto = True
        crit.save()
        Score.objects.filter(sheet__round=rnd, sheet__branch=branch, criterion=crit).update(
            vetoed=True, reason="重大安全事故"
        )
    round_compute(round_id=rnd.pk)
    return rnd


def result(evaluation, branch) -> AnnualResult:
    return AnnualResult.objects.get(evaluation=evaluation, branch=branch)


@pytest.fixture
def scheme(mine):
    return build_scheme(mine.committee)


def test_weights_from_the_rule_and_snapshotted(mine, scheme):
    Rule.objects.filter(key="assessment.annual_weights").update(
        value={"1": 0.1, "2": 0.2, "3": 0.3, "4": 0.4}
    )
    for q, total in enumerate([80, 90, 70, 100], start=1):
        quarter(scheme, mine, q, {mine.branch_a: total, mine.branch_b: 60})
    # a round that is not final does not count
    build_round(scheme, [mine.branch_a], quarter=4, state=AssessmentRound.State.SCORING)
    evaluation = annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    a, b = result(evaluation, mine.branch_a), result(evaluation, mine.branch_b)
    assert a.score == D("87.00")  # 8 + 18 + 21 + 40
    assert a.quarter_totals == {"1": "80.00", "2": "90.00", "3": "70.00", "4": "100.00"}
    assert (a.rank, a.star) == (1, 4)
    assert (b.score, b.rank, b.star) == (D("60.00"), 2, 2)
    assert evaluation.weights == {"1": 0.1, "2": 0.2, "3": 0.3, "4": 0.4}
    Rule.objects.filter(key="assessment.annual_weights").update(
        value={"1": 1, "2": 0, "3": 0, "4": 0}
    )
    evaluation.refresh_from_db()
    assert evaluation.weights["4"] == 0.4  # the snapshot stays until recomputed
    evaluation = annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    assert result(evaluation, mine.branch_a).score == D("80.00")
    assert AnnualEvaluation.objects.count() == 1


def test_missing_quarters_renormalise_and_say_so(mine, scheme):
    quarter(scheme, mine, 1, {mine.branch_a: 80, mine.branch_b: 70})
    quarter(scheme, mine, 3, {mine.branch_a: 91, mine.branch_b: 70})
    quarter(scheme, mine, 2, {mine.branch_a: 90})  # B not assessed in Q2
    evaluation = annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    a, b = result(evaluation, mine.branch_a), result(evaluation, mine.branch_b)
    assert a.score == D("87.00")  # (80 + 90 + 91) / 3 with equal weights
    assert "缺第4季度" in a.note and "折算" in a.note
    assert b.score == D("70.00")
    assert "缺第2季度、第4季度" in b.note
    assert b.quarter_totals == {"1": "70.00", "3": "70.00"}


def test_no_final_round_no_evaluation(mine, scheme):
    build_round(scheme, [mine.branch_a], state=AssessmentRound.State.NOTICE)
    with pytest.raises(ValidationError):
        annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)


def test_a_veto_in_any_quarter_removes_the_annual_star(mine, scheme):
    quarter(scheme, mine, 1, {mine.branch_a: 95, mine.branch_b: 85}, veto=[mine.branch_a])
    quarter(scheme, mine, 2, {mine.branch_a: 95, mine.branch_b: 85})
    evaluation = annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    a = result(evaluation, mine.branch_a)
    assert a.vetoed and a.star == 0 and a.score == D("95.00") and a.rank == 1
    assert "第1季度一票否决" in a.note
    assert result(evaluation, mine.branch_b).star == 4


def test_moves_up_and_down_over_two_years(mine):
    s25 = build_scheme(mine.committee, year=2025)
    s26 = build_scheme(mine.committee, year=2026)
    quarter(s25, mine, 1, {mine.branch_a: 92, mine.branch_b: 72})
    annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2025)
    quarter(s26, mine, 1, {mine.branch_a: 81, mine.branch_b: 83})
    evaluation = annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    a, b = result(evaluation, mine.branch_a), result(evaluation, mine.branch_b)
    assert (a.previous_star, a.star, a.movement) == (5, 4, -1)  # 降级
    assert (b.previous_star, b.star, b.movement) == (3, 4, 1)  # 晋位升级
    assert (b.rank, a.rank) == (1, 2)


def test_annual_permissions_and_lock_after_publish(mine, scheme):
    quarter(scheme, mine, 1, {mine.branch_a: 80, mine.branch_b: 70})
    for name in ("secretary_a", "union", "member_b"):
        with pytest.raises(PermissionDenied):
            annual_compute(actor=mine.users[name], party_org_id=mine.committee.pk, year=2026)
    evaluation = annual_compute(
        actor=mine.users["zuzhi"], party_org_id=mine.committee.pk, year=2026
    )
    member = mine.users["member_b"]
    assert not restrict(AnnualResult.objects.all(), member).exists()
    with pytest.raises(PermissionDenied):
        annual_publish(actor=mine.users["secretary_a"], evaluation_id=evaluation.pk)
    annual_publish(actor=mine.users["shuji"], evaluation_id=evaluation.pk)
    evaluation.refresh_from_db()
    assert evaluation.is_public and evaluation.state == "published"
    assert restrict(AnnualResult.objects.all(), member).count() == 2
    with pytest.raises(Locked):
        annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    with pytest.raises(ValidationError):
        annual_publish(actor=SYSTEM, evaluation_id=evaluation.pk)


# --- star members (双评) ----------------------------------------------------------------------


@pytest.fixture
def evaluation(mine, scheme):
    quarter(scheme, mine, 1, {mine.branch_a: 80, mine.branch_b: 70})
    return annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)


def rating(evaluation, person) -> StarMemberRating:
    return StarMemberRating.objects.get(evaluation=evaluation, person=person)


def test_prepare_rates_every_party_member_of_the_assessed_branches(mine, evaluation):
    rows = {
        r.person_id: r.branch_id for r in StarMemberRating.objects.filter(evaluation=evaluation)
    }
    assert rows == {mine.member_a.pk: mine.branch_a.pk, mine.member_b.pk: mine.branch_b.pk}
    assert mine.masses_a.pk not in rows  # not a Party member
    # recomputing keeps the ratings (and their scores)
    r = rating(evaluation, mine.member_b)
    star_member_score_save(
        actor=mine.users["member_b"], rating_id=r.pk, version=r.version, self_score=90
    )
    annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    assert rating(evaluation, mine.member_b).self_score == D("90.00")
    assert StarMemberRating.objects.filter(evaluation=evaluation).count() == 2


def test_self_and_branch_scores_combined_with_weights(mine, evaluation):
    r = rating(evaluation, mine.member_a)
    # the member (no account for member_a: the system stands in for the branch here)
    r = star_member_score_save(
        actor=mine.users["secretary_a"], rating_id=r.pk, version=r.version, branch_score=92
    )
    assert r.branch_score == D("92.00") and r.combined == D("92.00") and r.star == 4
    assert "本人未自评" in r.note and "群众评议" in r.note
    b = rating(evaluation, mine.member_b)
    b = star_member_score_save(
        actor=mine.users["member_b"], rating_id=b.pk, version=b.version, self_score=100
    )
    assert b.combined is None and b.star is None and "支部尚未评分" in b.note
    b = star_member_score_save(actor=SYSTEM, rating_id=b.pk, version=b.version, branch_score=80)
    assert b.combined == D("90.00") and b.star == 4
    Rule.objects.filter(key="assessment.star_member_weights").update(
        value={"self": 1, "branch": 3, "masses": 1}
    )
    annual_compute(actor=SYSTEM, party_org_id=mine.committee.pk, year=2026)
    assert rating(evaluation, mine.member_b).combined == D("85.00")  # (100 + 3×80) / 4


def test_who_may_enter_which_score(mine, evaluation):
    a = rating(evaluation, mine.member_a)
    b = rating(evaluation, mine.member_b)
    with pytest.raises(PermissionDenied):  # not the member
        star_member_score_save(
            actor=mine.users["secretary_a"], rating_id=a.pk, version=a.version, self_score=90
        )
    with pytest.raises(PermissionDenied):  # another branch
        star_member_score_save(
            actor=mine.users["secretary_a"], rating_id=b.pk, version=b.version, branch_score=90
        )
    with pytest.raises(PermissionDenied):  # a member does not score their own branch score
        star_member_score_save(
            actor=mine.users["member_b"], rating_id=b.pk, version=b.version, branch_score=99
        )
    with pytest.raises(PermissionDenied):  # nor someone else's anything
        star_member_score_save(
            actor=mine.users["member_b"], rating_id=a.pk, version=a.version, self_score=99
        )
    with pytest.raises(PermissionDenied):
        star_member_score_save(
            actor=mine.users["union"], rating_id=a.pk, version=a.version, branch_score=99
        )
    with pytest.raises(ValidationError):
        star_member_score_save(
            actor=mine.users["member_b"], rating_id=b.pk, version=b.version, self_score=101
        )
    assert rating(evaluation, mine.member_b).self_score is None


def test_stale_version_and_lock_after_publish(mine, evaluation):
    b = rating(evaluation, mine.member_b)
    star_member_score_save(
        actor=mine.users["member_b"], rating_id=b.pk, version=b.version, self_score=95
    )
    with pytest.raises(StaleVersion):
        star_member_score_save(actor=SYSTEM, rating_id=b.pk, version=b.version, branch_score=70)
    assert rating(evaluation, mine.member_b).branch_score is None
    annual_publish(actor=SYSTEM, evaluation_id=evaluation.pk)
    b = rating(evaluation, mine.member_b)
    with pytest.raises(Locked):
        star_member_score_save(actor=SYSTEM, rating_id=b.pk, version=b.version, branch_score=70)


def test_masses_survey_counts_only_above_the_minimum(mine, evaluation):
    surveys = pytest.importorskip("dangjian.surveys.tests.helpers")
    a = rating(evaluation, mine.member_a)
    star_member_score_save(actor=SYSTEM, rating_id=a.pk, version=a.version, branch_score=90)
    voters = surveys.respondents(mine, 3, masses=True)
    s = surveys.survey(
        mine,
        person=mine.member_a,
        audience="masses",
        context=f"assessment.star_members:{evaluation.pk}",
        minimum=3,
    )
    surveys.answer_all(s, voters[:2], [4, 4])
    star_members_compute(evaluation_id=evaluation.pk)
    a = rating(evaluation, mine.member_a)
    assert a.masses_score is None and a.masses_respondents == 2
    assert "未达最少人数" in a.note and a.combined == D("90.00")
    surveys.answer_all(s, voters[2:], [4])
    star_members_compute(evaluation_id=evaluation.pk)
    a = rating(evaluation, mine.member_a)
    assert a.masses_respondents == 3 and a.masses_score is not None
    assert a.combined == ((D("90") + a.masses_score) / 2).quantize(D("0.01"))


def test_publication_shows_star_members_with_star_branches(mine, evaluation):
    member = mine.users["member_b"]
    visible = restrict(StarMemberRating.objects.all(), member)
    assert list(visible.values_list("person_id", flat=True)) == [mine.member_b.pk]
    annual_publish(actor=SYSTEM, evaluation_id=evaluation.pk)
    assert restrict(StarMemberRating.objects.all(), member).count() == 2
    assert restrict(AnnualResult.objects.all(), member).count() == 2
