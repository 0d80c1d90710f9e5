"""Round services: creation in bulk, the state machine (every illegal move refused), spot checks,
objections reopening only the disputed criteria, lock after final, scoring rules (reason for a
deduction, override reason audited, stale version refused, assignments)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.assessment.errors import Locked, StaleVersion
from dangjian.assessment.models import (
    AssessmentRound,
    Criterion,
    DeductionItem,
    Objection,
    Score,
    ScoreSheet,
    ScoringMethod,
    SelfCheck,
    SpotCheck,
)
from dangjian.assessment.services import rounds as svc
from dangjian.assessment.services import sheets
from dangjian.assessment.testing import build_round, build_scheme
from dangjian.audit.models import AuditEvent
from dangjian.core.scope import SYSTEM, has_permission
from dangjian.orgs.models import PartyOrg
from dangjian.orgs.services import org_create

State = AssessmentRound.State
TODAY = dt.date(2026, 4, 10)


def _create(mine, scheme, branches=None, **kw):
    args = {
        "actor": mine.users["shuji"],
        "scheme_id": scheme.pk,
        "name": "2026年第一季度考核",
        "kind": "quarterly",
        "year": 2026,
        "quarter": 1,
        "opens_on": dt.date(2026, 4, 1),
        "closes_on": dt.date(2026, 4, 20),
        "branch_ids": [b.pk for b in (branches or [mine.branch_a, mine.branch_b])],
    }
    args.update(kw)
    return svc.round_create(**args)


def _score(rnd, branch, code):
    return Score.objects.get(sheet__round=rnd, sheet__branch=branch, criterion__code=code)


def test_round_create_bulk_and_snapshot(mine):
    scheme = build_scheme(mine.committee, criteria_per_category=3)
    rnd = _create(mine, scheme)
    assert (rnd.period_start, rnd.period_end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert rnd.state == State.DRAFT and rnd.star_rules["assessment.star_thresholds"]["5"] == 90
    assert rnd.sheets.count() == 2
    assert Score.objects.filter(sheet__round=rnd).count() == 2 * 18
    assert SelfCheck.objects.filter(sheet__round=rnd).count() == 2
    assert set(rnd.sheets.values_list("branch_name", flat=True)) == {
        mine.branch_a.name,
        mine.branch_b.name,
    }
    assert AuditEvent.objects.filter(event_type="assessment.round_create").exists()


def test_round_create_queries_constant(mine):
    scheme = build_scheme(mine.committee)
    few = [mine.branch_a]
    many = [
        org_create(name=f"支部{i}", kind="branch", parent=mine.committee, actor=SYSTEM)
        for i in range(12)
    ]
    has_permission(mine.users["shuji"], PartyOrg, "view")  # grants: read once per request
    counts, score_inserts = [], []
    for branches in (few, many):
        with CaptureQueriesContext(connection) as ctx:
            rnd = _create(mine, scheme, branches)
        statements = [q["sql"] for q in ctx.captured_queries]
        inserts = [s for s in statements if s.startswith('INSERT INTO "assessment_score"')]
        counts.append(len(statements) - len(inserts))
        score_inserts.append(len(inserts))
    # one set of bulk inserts whatever the branch count; the score rows go in batches, which
    # SQLite's bound-parameter limit may split (13 branches x every criterion: a few batches)
    assert counts[0] == counts[1], counts
    assert score_inserts[0] >= 1
    columns = len(Score._meta.concrete_fields)
    rows = Score.objects.filter(sheet__round=rnd).count()
    assert rows > 12
    assert score_inserts[1] <= 1 + rows * columns // 999, score_inserts  # batches, not rows


def test_round_create_refusals(mine):
    draft = build_scheme(mine.committee, publish=False)
    with pytest.raises(ValidationError, match="已发布"):
        _create(mine, draft)
    scheme = build_scheme(mine.committee, year=2027)
    with pytest.raises(ValidationError, match="党支部"):
        _create(mine, scheme, [mine.group_a1])
    with pytest.raises(ValidationError, match="季度"):
        _create(mine, scheme, quarter=None)
    with pytest.raises(ValidationError, match="开始和结束"):
        _create(mine, scheme, kind="special", quarter=None)
    rnd = _create(
        mine,
        scheme,
        kind="special",
        quarter=None,
        period_start=dt.date(2026, 5, 1),
        period_end=dt.date(2026, 5, 31),
    )
    assert rnd.quarter is None and rnd.period_end == dt.date(2026, 5, 31)
    with pytest.raises(PermissionDenied):
        _create(mine, scheme, actor=mine.users["secretary_a"])
    other = org_create(name="外矿党委", kind="committee", parent=None, actor=SYSTEM)
    foreign = org_create(name="外矿支部", kind="branch", parent=other, actor=SYSTEM)
    with pytest.raises(ValidationError):
        _create(mine, scheme, [foreign])


def _advance(mine, rnd, to, today=TODAY, who="shuji"):
    return svc.round_advance(actor=mine.users[who], round_id=rnd.pk, to_state=to, today=today)


def _fill_self_checks(rnd):
    SelfCheck.objects.filter(sheet__round=rnd).update(
        practices="做法",
        highlights="亮点",
        problems="问题",
        plans="打算",
        submitted_at=dt.datetime(2026, 4, 5, tzinfo=dt.UTC),
    )


def _score_all(rnd, points=None):
    for s in Score.objects.filter(sheet__round=rnd).select_related("criterion"):
        s.points = s.criterion.max_points if points is None else points
        s.save(update_fields=["points"])


def test_state_machine_forward_only_and_checked(mine):
    scheme = build_scheme(mine.committee)
    rnd = _create(mine, scheme)
    # every skip and every backward move is refused
    for target in (
        State.SCORING,
        State.REVIEW,
        State.NOTICE,
        State.OBJECTIONS,
        State.FINAL,
        State.DRAFT,
    ):
        with pytest.raises(ValidationError):
            _advance(mine, rnd, target)
    with pytest.raises(ValidationError):
        _advance(mine, rnd, "nonsense")
    with pytest.raises(PermissionDenied):
        _advance(mine, rnd, State.SELF_CHECK, who="secretary_a")
    with pytest.raises(PermissionDenied):
        _advance(mine, rnd, State.SELF_CHECK, who="union")
    _advance(mine, rnd, State.SELF_CHECK)
    with pytest.raises(ValidationError) as exc:
        _advance(mine, rnd, State.SCORING)
    assert mine.branch_a.name in str(exc.value) and mine.branch_b.name in str(exc.value)
    # after the closing date, missing self-checks no longer block
    _advance(mine, rnd, State.SCORING, today=dt.date(2026, 4, 21))
    with pytest.raises(ValidationError, match="未评分"):
        _advance(mine, rnd, State.REVIEW)
    _score_all(rnd)
    _advance(mine, rnd, State.REVIEW)
    with pytest.raises(ValidationError):
        _advance(mine, rnd, State.SCORING)
    rnd = _advance(mine, rnd, State.NOTICE)
    assert rnd.is_public and rnd.published_at is not None
    assert rnd.notice_starts_on == TODAY and rnd.notice_ends_on == TODAY + dt.timedelta(days=4)
    assert ScoreSheet.objects.filter(round=rnd, total=Decimal("100")).count() == 2
    _advance(mine, rnd, State.OBJECTIONS)
    with pytest.raises(ValidationError, match="公示期"):
        _advance(mine, rnd, State.FINAL, today=TODAY + dt.timedelta(days=4))
    rnd = _advance(mine, rnd, State.FINAL, today=TODAY + dt.timedelta(days=5))
    assert rnd.finalised_at is not None
    with pytest.raises(Locked):
        _advance(mine, rnd, State.FINAL)
    moves = AuditEvent.objects.filter(event_type="assessment.round_advance").count()
    assert moves == 6


def test_scoring_rules_and_lock(mine):
    scheme = build_scheme(mine.committee)
    rnd = _create(mine, scheme)
    AssessmentRound.objects.filter(pk=rnd.pk).update(state=State.SCORING)
    shuji = mine.users["shuji"]
    s = _score(rnd, mine.branch_a, "A1")
    with pytest.raises(ValidationError, match="扣分理由"):
        sheets.score_save(actor=shuji, score_id=s.pk, version=s.version, points="15")
    with pytest.raises(ValidationError):
        sheets.score_save(actor=shuji, score_id=s.pk, version=s.version, points="25")
    saved = sheets.score_save(
        actor=shuji,
        score_id=s.pk,
        version=s.version,
        points="15",
        reason="缺少一次党课记录",
        evidence_methods=["documents", "site"],
        record_links=[["orgs.partyorg", mine.branch_a.pk]],
    )
    assert saved.points == Decimal("15.00") and saved.version == s.version + 1
    with pytest.raises(StaleVersion):
        sheets.score_save(actor=shuji, score_id=s.pk, version=s.version, points="20")
    assert Score.objects.get(pk=s.pk).points == Decimal("15.00")
    # lock after the round leaves scoring
    AssessmentRound.objects.filter(pk=rnd.pk).update(state=State.FINAL)
    with pytest.raises(Locked, match="定稿"):
        sheets.score_save(actor=shuji, score_id=s.pk, version=saved.version, points="20")
    AssessmentRound.objects.filter(pk=rnd.pk).update(state=State.SELF_CHECK)
    with pytest.raises(Locked):
        sheets.score_save(actor=shuji, score_id=s.pk, version=saved.version, points="20")


def test_deduction_count_and_override_reason_audited(mine):
    scheme = build_scheme(mine.committee)
    crit = Criterion.objects.get(category__scheme=scheme, code="A1")
    crit.method = ScoringMethod.DEDUCTION
    crit.save()
    item = DeductionItem.objects.create(criterion=crit, text="少开一次支委会", points=Decimal("2"))
    ind = Criterion.objects.get(category__scheme=scheme, code="A2")
    ind.method = ScoringMethod.INDICATOR
    ind.indicator_key = "orglife.quorum_rate"
    ind.save()
    rnd = _create(mine, scheme)
    AssessmentRound.objects.filter(pk=rnd.pk).update(state=State.SCORING)
    shuji = mine.users["shuji"]
    s = _score(rnd, mine.branch_a, "A1")
    with pytest.raises(ValidationError, match="扣分理由"):
        sheets.score_save(
            actor=shuji,
            score_id=s.pk,
            version=s.version,
            deductions=[{"item": item.pk, "times": 2}],
        )
    s = sheets.score_save(
        actor=shuji,
        score_id=s.pk,
        version=s.version,
        deductions=[{"item": item.pk, "times": 2}],
        reason="两次未开",
    )
    assert s.computed_points == Decimal("16.00") and s.points is None
    ind_score = _score(rnd, mine.branch_a, "A2")
    Score.objects.filter(pk=ind_score.pk).update(computed_points=Decimal("18"), computed_value=90)
    ind_score.refresh_from_db()
    with pytest.raises(ValidationError, match="改动理由"):
        sheets.score_save(
            actor=shuji, score_id=ind_score.pk, version=ind_score.version, points="20"
        )
    saved = sheets.score_save(
        actor=shuji,
        score_id=ind_score.pk,
        version=ind_score.version,
        points="20",
        override_reason="会议记录遗漏，经现场核实已召开",
    )
    assert saved.override_reason
    event = AuditEvent.objects.get(event_type="assessment.score_override")
    assert event.changes["computed_points"] == "18.00" and event.changes["after"] == "20.00"
    assert "现场核实" in event.reason


def test_department_and_assignment_scoring(mine):
    scheme = build_scheme(mine.committee)
    rnd = _create(mine, scheme)
    AssessmentRound.objects.filter(pk=rnd.pk).update(state=State.SCORING)
    union = mine.users["union"]
    d1 = _score(rnd, mine.branch_a, "D1")
    a1 = _score(rnd, mine.branch_a, "A1")
    assert svc.can_score(union, d1) and not svc.can_score(union, a1)
    with pytest.raises(PermissionDenied):
        sheets.score_save(actor=union, score_id=a1.pk, version=a1.version, points="20")
    sheets.score_save(actor=union, score_id=d1.pk, version=d1.version, points="5")
    assert not svc.can_score(mine.users["secretary_a"], a1)
    with pytest.raises(PermissionDenied):
        sheets.score_save(
            actor=mine.users["secretary_a"], score_id=a1.pk, version=a1.version, points="20"
        )
    # an assessor scores only what the assignment names
    from dangjian.accounts.models import Role, RoleAssignment, User

    team = User.objects.create(username="team1")
    RoleAssignment.objects.create(
        user=team, role=Role.objects.get(code="assessor"), party_org=mine.committee
    )
    team = User.objects.get(pk=team.pk)
    assert not svc.can_score(team, a1)
    svc.assignment_add(
        actor=mine.users["shuji"],
        round_id=rnd.pk,
        user_id=team.pk,
        branch_id=mine.branch_a.pk,
        category_id=a1.criterion.category_id,
    )
    team = User.objects.get(pk=team.pk)
    b_a1 = _score(rnd, mine.branch_b, "A1")
    assert svc.can_score(team, a1) and not svc.can_score(team, b_a1) and not svc.can_score(team, d1)


def test_self_check_flow(mine):
    scheme = build_scheme(mine.committee)
    rnd = _create(mine, scheme)
    sec = mine.users["secretary_a"]
    sheet_a = ScoreSheet.objects.get(round=rnd, branch=mine.branch_a)
    sheet_b = ScoreSheet.objects.get(round=rnd, branch=mine.branch_b)
    with pytest.raises(Locked):
        sheets.self_check_save(
            actor=sec,
            sheet_id=sheet_a.pk,
            version=1,
            practices="x",
            highlights="",
            problems="",
            plans="",
        )
    _advance(mine, rnd, State.SELF_CHECK)
    with pytest.raises(PermissionDenied):
        sheets.self_check_save(
            actor=sec,
            sheet_id=sheet_b.pk,
            version=1,
            practices="x",
            highlights="",
            problems="",
            plans="",
        )
    check = sheets.self_check_save(
        actor=sec,
        sheet_id=sheet_a.pk,
        version=1,
        practices="做法",
        highlights="",
        problems="",
        plans="",
    )
    with pytest.raises(StaleVersion):
        sheets.self_check_save(
            actor=mine.users["worker_a"],
            sheet_id=sheet_a.pk,
            version=1,
            practices="覆盖",
            highlights="",
            problems="",
            plans="",
        )
    with pytest.raises(ValidationError, match="特色亮点"):
        sheets.self_check_submit(actor=sec, sheet_id=sheet_a.pk)
    sheets.self_check_save(
        actor=sec,
        sheet_id=sheet_a.pk,
        version=check.version,
        practices="做法",
        highlights="亮点",
        problems="问题",
        plans="打算",
    )
    s = _score(rnd, mine.branch_a, "A1")
    with pytest.raises(ValidationError):
        sheets.self_score_save(actor=sec, score_id=s.pk, version=s.version, points="99", note="")
    s = sheets.self_score_save(
        actor=sec, score_id=s.pk, version=s.version, points="18", note="党课缺一次"
    )
    assert s.self_points == Decimal("18.00")
    b = _score(rnd, mine.branch_b, "A1")
    with pytest.raises(PermissionDenied):
        sheets.self_score_save(actor=sec, score_id=b.pk, version=b.version, points="18", note="")
    sheets.self_check_submit(actor=sec, sheet_id=sheet_a.pk)
    with pytest.raises(Locked):
        sheets.self_score_save(actor=sec, score_id=s.pk, version=s.version, points="17", note="")


def test_objection_reopens_only_disputed_criteria(mine):
    scheme = build_scheme(mine.committee)
    rnd = build_round(scheme, [mine.branch_a, mine.branch_b], state=State.REVIEW)
    _score_all(rnd)
    rnd = _advance(mine, rnd, State.NOTICE)
    sheet_a = ScoreSheet.objects.get(round=rnd, branch=mine.branch_a)
    sheet_b = ScoreSheet.objects.get(round=rnd, branch=mine.branch_b)
    a1 = Criterion.objects.get(category__scheme=scheme, code="A1")
    sec = mine.users["secretary_a"]
    with pytest.raises(PermissionDenied):
        svc.objection_raise(actor=sec, sheet_id=sheet_b.pk, criterion_ids=[a1.pk], text="不服")
    with pytest.raises(PermissionDenied):
        svc.objection_raise(
            actor=mine.users["member_b"], sheet_id=sheet_b.pk, criterion_ids=[a1.pk], text="不服"
        )
    with pytest.raises(ValidationError):
        svc.objection_raise(actor=sec, sheet_id=sheet_a.pk, criterion_ids=[], text="不服")
    obj = svc.objection_raise(
        actor=sec, sheet_id=sheet_a.pk, criterion_ids=[a1.pk], text="党课已开，有记录"
    )
    rejected = svc.objection_raise(
        actor=sec, sheet_id=sheet_a.pk, criterion_ids=[a1.pk], text="再议"
    )
    with pytest.raises(PermissionDenied):
        svc.objection_resolve(actor=sec, objection_id=obj.pk, upheld=True, resolution="成立")
    _advance(mine, rnd, State.OBJECTIONS)
    with pytest.raises(ValidationError, match="异议未处理"):
        _advance(mine, rnd, State.FINAL, today=TODAY + dt.timedelta(days=30))
    svc.objection_resolve(
        actor=mine.users["shuji"], objection_id=rejected.pk, upheld=False, resolution="不成立"
    )
    assert not Score.objects.filter(sheet__round=rnd, reopened=True).exists()
    svc.objection_resolve(
        actor=mine.users["shuji"], objection_id=obj.pk, upheld=True, resolution="经核实成立"
    )
    reopened = list(Score.objects.filter(sheet__round=rnd, reopened=True))
    assert [(s.sheet_id, s.criterion_id) for s in reopened] == [(sheet_a.pk, a1.pk)]
    assert Objection.objects.get(pk=obj.pk).state == Objection.State.UPHELD
    shuji = mine.users["shuji"]
    other = _score(rnd, mine.branch_a, "A2")
    with pytest.raises(Locked):
        sheets.score_save(actor=shuji, score_id=other.pk, version=other.version, points="20")
    s = reopened[0]
    sheets.score_save(
        actor=shuji, score_id=s.pk, version=s.version, points="19", reason="复核扣1分"
    )
    rnd = _advance(mine, rnd, State.FINAL, today=TODAY + dt.timedelta(days=30))
    assert not Score.objects.filter(sheet__round=rnd, reopened=True).exists()
    assert ScoreSheet.objects.get(pk=sheet_a.pk).total == Decimal("99.00")
    s.refresh_from_db()
    with pytest.raises(Locked):
        sheets.score_save(actor=shuji, score_id=s.pk, version=s.version, points="20")


def test_spot_checks(mine):
    scheme = build_scheme(mine.committee)
    extra = [
        org_create(name=f"机关支部{i}", kind="branch", parent=mine.committee, actor=SYSTEM)
        for i in range(4)
    ]
    PartyOrg.objects.filter(pk__in=[e.pk for e in extra]).update(category="机关")
    branches = [mine.branch_a, mine.branch_b, *extra]
    rnd = _create(mine, scheme, branches)
    rows = svc.spot_check_select(
        actor=mine.users["shuji"], round_id=rnd.pk, method="random", seed="abc"
    )
    strata = sorted(r.stratum for r in rows)
    assert strata == ["机关", "生产单位"] and all(r.seed == "abc" for r in rows)
    picked = sorted(r.sheet_id for r in rows)
    SpotCheck.objects.filter(round=rnd).delete()
    again = svc.spot_check_select(
        actor=mine.users["shuji"], round_id=rnd.pk, method="random", seed="abc"
    )
    assert sorted(r.sheet_id for r in again) == picked  # reproducible with the recorded seed
    risk = svc.spot_check_select(
        actor=mine.users["shuji"], round_id=rnd.pk, method="risk", count_per_stratum=2
    )
    assert len(risk) == 2 and all("预警" in r.reason for r in risk)
    with pytest.raises(ValidationError, match="理由"):
        svc.spot_check_select(
            actor=mine.users["shuji"], round_id=rnd.pk, method="manual", sheet_ids=[]
        )
    with pytest.raises(PermissionDenied):
        svc.spot_check_select(actor=mine.users["secretary_a"], round_id=rnd.pk, method="random")
    row = svc.spot_check_update(
        actor=mine.users["shuji"],
        spot_check_id=risk[0].pk,
        visited_on=TODAY,
        findings="台账齐全",
        is_model_site=True,
    )
    assert ScoreSheet.objects.get(pk=row.sheet_id).is_model_site


def test_scoring_starts_with_the_automatic_criteria_computed_and_recompute(mine):
    """Entering 'scoring' computes indicator criteria from the records so scorers see them;
    a manager may recompute while scoring, not before."""
    from dangjian.orglife.tests.helpers import hold

    scheme = build_scheme(mine.committee)
    ind = Criterion.objects.get(category__scheme=scheme, code="A2")
    ind.method = ScoringMethod.INDICATOR
    ind.indicator_key = "orglife.quorum_rate"
    ind.formula = {"kind": "linear", "zero_at": 0, "full_at": 100}
    ind.save()
    rnd = _create(mine, scheme)
    _advance(mine, rnd, State.SELF_CHECK)
    with pytest.raises(ValidationError, match="重新计算"):
        svc.round_recompute(actor=mine.users["shuji"], round_id=rnd.pk)
    _advance(mine, rnd, State.SCORING, today=dt.date(2026, 4, 21))
    score = _score(rnd, mine.branch_a, "A2")
    assert score.computed_points == ind.max_points  # no quorum meeting: 100 %
    assert score.computed_records == [] and "0" in score.computed_detail
    version = score.version
    meeting = hold(mine, "branch_general", dt.date(2026, 2, 10), org=mine.branch_a, present=[])
    with pytest.raises(PermissionDenied):
        svc.round_recompute(actor=mine.users["secretary_a"], round_id=rnd.pk)
    svc.round_recompute(actor=mine.users["shuji"], round_id=rnd.pk)
    score.refresh_from_db()
    assert score.computed_points == Decimal("0.00")  # the assembly missed its quorum
    assert [meeting.pk] == [pk for _, pk in score.computed_records]
    assert score.version == version  # the scorer's input is not made stale by a recompute
    assert AuditEvent.objects.filter(event_type="assessment.round_recompute").count() == 1


def test_round_surveys_open_at_self_check_and_close_when_scoring_starts(mine):
    from dangjian.surveys.models import Survey

    scheme = build_scheme(mine.committee)
    crit = Criterion.objects.get(category__scheme=scheme, code="B1")
    crit.method = ScoringMethod.SURVEY
    crit.survey_audience = "members"
    crit.formula = {"kind": "linear", "zero_at": 60, "full_at": 100}
    crit.save()
    rnd = _create(mine, scheme)
    _advance(mine, rnd, State.SELF_CHECK)
    surveys = Survey.objects.filter(context=f"assessment.round:{rnd.pk}")
    assert sorted(surveys.values_list("subject_org_id", flat=True)) == sorted(
        [mine.branch_a.pk, mine.branch_b.pk]
    )
    assert set(surveys.values_list("state", "audience")) == {("open", "members")}
    _advance(mine, rnd, State.SCORING, today=dt.date(2026, 4, 21))
    assert set(surveys.values_list("state", flat=True)) == {"closed"}
    score = _score(rnd, mine.branch_a, "B1")
    assert score.computed_points is None and "参评" in score.computed_detail  # below the minimum
