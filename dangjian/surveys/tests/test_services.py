"""Surveys: creation, eligibility, one response per person, answer validation, results,
the engine contract (``scores_for``/``person_scores``) with flat query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.audit.models import AuditEvent
from dangjian.core.scope import SYSTEM
from dangjian.surveys import selectors, services
from dangjian.surveys.eligibility import eligible_persons
from dangjian.surveys.models import Participation, Response, Survey
from dangjian.surveys.tests.helpers import answer_all, full_answers, respondents, survey

pytestmark = pytest.mark.django_db


def test_create_with_the_default_questionnaire_and_the_rule_minimum(mine):
    s = survey(mine, minimum=None, state="draft")
    assert s.state == "draft"
    assert s.min_respondents == 5  # rule assessment.survey_min_respondents
    kinds = [q.kind for q in s.questions.order_by("order")]
    assert len(kinds) == len(services.DEFAULT_QUESTIONS)
    assert 5 <= len(kinds) <= 8 and kinds.count("scale") >= 5
    assert AuditEvent.objects.filter(object_type="surveys.survey", event_type="create").exists()


@pytest.mark.parametrize(
    ("questions", "fragment"),
    [
        ([], "至少设置一道题目"),
        ([{"text": "x", "kind": "bogus"}], "题型无效"),
        ([{"text": "", "kind": "scale"}], "题目不能为空"),
        ([{"text": "x", "kind": "choice", "options": ["一"]}], "2 至"),
        ([{"text": "x", "kind": "choice", "options": ["一", "一"]}], "重复"),
        ([{"text": "x", "kind": "scale", "options": ["a", "b"]}], "只有单选题"),
        ([{"text": "x", "kind": "scale", "weight": "-1"}], "权重"),
        ([{"text": "x", "kind": "scale", "weight": "NaN"}], "权重"),
        ([{"text": "x", "kind": "text"}], "至少需要一道"),
    ],
)
def test_questions_are_validated(mine, questions, fragment):
    with pytest.raises(ValidationError) as exc:
        survey(mine, questions=questions)
    assert fragment in str(exc.value)


def test_create_checks_dates_audience_scope_and_context_uniqueness(mine):
    today = timezone.localdate()
    base = dict(
        title="t",
        context="",
        subject_org_id=mine.branch_a.pk,
        audience="members",
        questions=None,
        opens_on=today,
        closes_on=today,
    )
    with pytest.raises(ValidationError, match="截止日期不能早于"):
        services.survey_create(
            actor=mine.users["shuji"], **{**base, "closes_on": today - dt.timedelta(days=1)}
        )
    with pytest.raises(ValidationError, match="参评对象无效"):
        services.survey_create(actor=mine.users["shuji"], **{**base, "audience": "everyone"})
    with pytest.raises(PermissionDenied):
        services.survey_create(actor=mine.users["secretary_a"], **base)
    with pytest.raises(PermissionDenied):
        services.survey_create(actor=mine.users["member_b"], **base)
    survey(mine, context="assessment.round:1", audience="members")
    with pytest.raises(ValidationError, match="已为该对象发起过测评"):
        survey(mine, context="assessment.round:1", audience="members")
    survey(mine, context="assessment.round:1", audience="masses")  # another audience: fine
    with pytest.raises(ValidationError, match="须属于被测评组织"):
        survey(mine, person=mine.member_b)


def test_eligibility_of_members_masses_and_all(mine):
    members = survey(mine, audience="members")
    masses = survey(mine, audience="masses")
    both = survey(mine, audience="all")
    b_members = survey(mine, audience="members", org=mine.branch_b)
    assert set(eligible_persons(members)) == {mine.member_a}
    assert set(eligible_persons(masses)) == {mine.masses_a}
    assert set(eligible_persons(both)) == {mine.member_a, mine.masses_a}
    member_b = mine.users["member_b"]
    employee_a = mine.users["employee_a"]  # masses_a's account
    assert {s.pk for s in selectors.my_surveys(user=member_b)} == {b_members.pk}
    assert {s.pk for s in selectors.my_surveys(user=employee_a)} == {masses.pk, both.pk}
    # the whole committee's survey reaches members of every branch
    committee = survey(mine, audience="members", org=mine.committee)
    assert committee.pk in {s.pk for s in selectors.my_surveys(user=member_b)}
    # a person survey excludes the person rated
    about = survey(mine, audience="all", person=mine.member_a, context="assessment.star:1")
    assert set(eligible_persons(about)) == {mine.masses_a}


def test_one_response_per_person_and_refusals(mine):
    s = survey(mine, audience="masses")
    employee = mine.users["employee_a"]
    services.response_submit(actor=employee, survey_id=s.pk, answers=full_answers(s, 5))
    with pytest.raises(ValidationError, match="每人只能提交一次"):
        services.response_submit(actor=employee, survey_id=s.pk, answers=full_answers(s, 1))
    assert Response.objects.filter(survey=s).count() == 1
    assert Participation.objects.filter(survey=s).count() == 1
    # not eligible: a member of B (404), an account without a person (403)
    with pytest.raises(Http404):
        services.response_submit(
            actor=mine.users["member_b"], survey_id=s.pk, answers=full_answers(s)
        )
    with pytest.raises(Http404):
        services.response_submit(
            actor=mine.users["secretary_a"], survey_id=s.pk, answers=full_answers(s)
        )
    with pytest.raises(PermissionDenied):
        services.response_submit(
            actor=mine.users["auditor"], survey_id=s.pk, answers=full_answers(s)
        )


def test_only_open_surveys_within_their_dates_take_answers(mine):
    users = respondents(mine, 2)
    draft = survey(mine, audience="members", state="draft")
    with pytest.raises(ValidationError, match="不在答题时间内"):
        services.response_submit(actor=users[0], survey_id=draft.pk, answers=full_answers(draft))
    s = survey(mine, audience="members")
    Survey.objects.filter(pk=s.pk).update(closes_on=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="不在答题时间内"):
        services.response_submit(actor=users[0], survey_id=s.pk, answers=full_answers(s))
    assert not Participation.objects.exists() and not Response.objects.exists()
    assert selectors.my_surveys(user=users[0]).count() == 0


def test_answers_are_validated_precisely(mine):
    s = survey(mine, audience="members")
    user = respondents(mine, 1)[0]
    qs = list(s.questions.order_by("order"))
    scale, choice, text = qs[0], qs[6], qs[7]
    good = full_answers(s, 3)
    cases = [
        ({**good, str(scale.pk): 6}, "1 至 5 的整数"),
        ({**good, str(scale.pk): 0}, "1 至 5 的整数"),
        ({**good, str(scale.pk): True}, "1 至 5 的整数"),
        ({**good, str(scale.pk): 3.5}, "1 至 5 的整数"),
        ({**good, str(scale.pk): "x"}, "1 至 5 的整数"),
        ({k: v for k, v in good.items() if k != str(scale.pk)}, "请选择 1–5 分"),
        ({**good, str(choice.pk): "不存在"}, "不在选项中"),
        ({**good, str(choice.pk): ""}, "请选择一项"),
        ({**good, str(text.pk): "字" * 501}, "不能超过 500 字"),
        ({**good, str(text.pk): 12}, "应为文字"),
        ({**good, "999999": 3}, "不属于本测评"),
    ]
    for answers, fragment in cases:
        with pytest.raises(ValidationError) as exc:
            services.response_submit(actor=user, survey_id=s.pk, answers=answers)
        assert fragment in str(exc.value), answers
    assert not Participation.objects.exists()  # a refused sheet leaves no trace
    services.response_submit(actor=user, survey_id=s.pk, answers={**good, str(scale.pk): "5"})
    stored = Response.objects.get(survey=s).answers
    assert stored[str(scale.pk)] == 5 and str(text.pk) not in stored


def test_results_per_question_overall_and_minimum(mine):
    questions = [
        {"text": "班子", "kind": "scale", "weight": 3},
        {"text": "组织生活", "kind": "scale", "weight": 1},
        {"text": "总体", "kind": "choice", "options": ["进步", "持平"], "weight": 0},
        {"text": "建议", "kind": "text", "weight": 0},
    ]
    s = survey(mine, audience="members", questions=questions, minimum=3)
    users = respondents(mine, 3)
    q1, q2, q3, q4 = s.questions.order_by("order")
    sheets = [
        {str(q1.pk): 5, str(q2.pk): 1, str(q3.pk): "进步", str(q4.pk): "多开会"},
        {str(q1.pk): 5, str(q2.pk): 3, str(q3.pk): "进步"},
        {str(q1.pk): 2, str(q2.pk): 2, str(q3.pk): "持平", str(q4.pk): "好"},
    ]
    services.response_submit(actor=users[0], survey_id=s.pk, answers=sheets[0])
    services.response_submit(actor=users[1], survey_id=s.pk, answers=sheets[1])
    below = selectors.survey_results(s)
    assert not below.counted and below.questions == [] and below.score is None
    assert below.shortfall_label == "参评人数不足（2/3）"
    services.response_submit(actor=users[2], survey_id=s.pk, answers=sheets[2])
    result = selectors.survey_results(s)
    assert result.counted and result.respondents == 3
    r1, r2, r3, r4 = result.questions
    assert r1.mean == 4.0 and r1.score == 75.0 and r1.distribution == [0, 1, 0, 0, 2]
    assert r2.mean == 2.0 and r2.score == 25.0 and r2.distribution == [1, 1, 1, 0, 0]
    assert r3.choices == [("进步", 2), ("持平", 1)]
    assert r4.texts == ["多开会", "好"] and r4.answered == 2
    assert result.score == 62.5  # (3×75 + 1×25) / 4
    assert r1.chart["series"][0]["data"] == [0, 1, 0, 0, 2]


def test_scores_for_and_person_scores_follow_the_contract(mine):
    ctx = "assessment.round:7"
    a = survey(mine, audience="members", context=ctx, minimum=2)
    b = survey(mine, audience="members", context=ctx, org=mine.branch_b, minimum=2)
    survey(mine, audience="masses", context=ctx, minimum=1)  # another audience: not mixed in
    answer_all(a, respondents(mine, 2), scales=[5, 3])
    answer_all(b, respondents(mine, 1, branch=mine.branch_b, start=260), scales=[5])
    scores = selectors.scores_for(ctx, [mine.branch_a.pk, mine.branch_b.pk, 999999], "members")
    assert scores[mine.branch_a.pk] == selectors.SurveyScore(75.0, 2, True)
    assert scores[mine.branch_b.pk] == selectors.SurveyScore(None, 1, False)
    assert scores[999999] == selectors.SurveyScore(None, 0, False)
    assert selectors.scores_for("other", [mine.branch_a.pk], "members")[mine.branch_a.pk] == (
        selectors.SurveyScore(None, 0, False)
    )
    star = "assessment.star_members:3"
    about = survey(mine, audience="all", person=mine.member_a, context=star, minimum=1)
    services.response_submit(
        actor=mine.users["employee_a"], survey_id=about.pk, answers=full_answers(about, 2)
    )
    people = selectors.person_scores(star, [mine.member_a.pk, mine.member_b.pk])
    assert people[mine.member_a.pk] == selectors.SurveyScore(25.0, 1, True)
    assert people[mine.member_b.pk] == selectors.SurveyScore(None, 0, False)


def test_scores_for_uses_a_fixed_number_of_queries(mine):
    from dangjian.orgs.models import PartyOrg
    from dangjian.orgs.services import org_create

    ctx = "assessment.round:9"

    def measure(n: int) -> int:
        ids = []
        for i in range(n):
            org = org_create(
                name=f"支部{n}-{i}", kind=PartyOrg.Kind.BRANCH, parent=mine.committee, actor=SYSTEM
            )
            s = survey(mine, org=org, audience="members", context=ctx, minimum=1)
            # answers written directly: the engine contract is about reading
            Response.objects.create(survey=s, answers=full_answers(s, 4))
            ids.append(org.pk)
        with CaptureQueriesContext(connection) as ctx_small:
            scores = selectors.scores_for(ctx, ids, "members")
        assert all(scores[i] == selectors.SurveyScore(75.0, 1, True) for i in ids)
        return len(ctx_small)

    assert measure(2) == measure(12) <= 3
