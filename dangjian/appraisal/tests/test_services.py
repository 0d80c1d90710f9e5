"""Democratic appraisal rules: the 优秀 cap at its boundary (floor of one third), stages,
evaluators, votes stored per evaluator, scope re-checks, audit."""

from __future__ import annotations

from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.appraisal import services
from dangjian.appraisal.models import AppraisalEntry, AppraisalRound, AppraisalVote, Grade
from dangjian.appraisal.rules import cap_message, excellent_cap, ratio_text
from dangjian.appraisal.tests.helpers import add_members, round_in, secretary_of_b
from dangjian.audit.models import AuditEvent
from dangjian.core.models import Rule

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("appraised", "cap"),
    [(0, 0), (1, 0), (2, 0), (3, 1), (5, 1), (6, 2), (8, 2), (9, 3), (466, 155)],
)
def test_cap_is_one_third_rounded_down(appraised, cap):
    assert excellent_cap(appraised, Fraction(1, 3)) == cap


def test_cap_follows_the_rule_table():
    Rule.objects.filter(key="appraisal.excellent_max_ratio").update(value="1/2")
    assert excellent_cap(9) == 4
    assert ratio_text(Fraction(1, 2)) == "二分之一"


def test_round_lists_every_member_of_the_branch_and_its_groups(mine):
    add_members(mine, 2)
    rnd = services.round_create(
        actor=mine.users["secretary_a"], branch_id=mine.branch_a.pk, year=2025
    )
    names = set(AppraisalEntry.objects.filter(round=rnd).values_list("person__name", flat=True))
    assert "张支部党员" in names
    assert "李群众" not in names  # masses are not appraised
    assert "王二支部党员" not in names  # other branch
    assert len(names) == 3
    assert AuditEvent.objects.filter(event_type="create", object_type="appraisal.appraisalround")


def test_one_round_per_branch_and_year(mine):
    services.round_create(actor=mine.users["secretary_a"], branch_id=mine.branch_a.pk, year=2025)
    with pytest.raises(ValidationError, match="已经发起"):
        services.round_create(
            actor=mine.users["secretary_a"], branch_id=mine.branch_a.pk, year=2025
        )


def test_secretary_cannot_open_a_round_for_another_branch(mine):
    with pytest.raises(ValidationError, match="不在您的数据范围内"):
        services.round_create(
            actor=mine.users["secretary_a"], branch_id=mine.branch_b.pk, year=2025
        )
    assert not AppraisalRound.objects.exists()


def test_member_cannot_open_a_round(mine):
    with pytest.raises(PermissionDenied):
        services.round_create(actor=mine.users["member_b"], branch_id=mine.branch_b.pk, year=2025)


def _grades(rnd, excellent: int) -> dict[int, str]:
    entries = list(AppraisalEntry.objects.filter(round=rnd).order_by("pk"))
    return {
        e.pk: (Grade.EXCELLENT if i < excellent else Grade.QUALIFIED) for i, e in enumerate(entries)
    }


def test_excellent_at_the_cap_is_accepted_and_one_more_refused(mine):
    add_members(mine, 8)  # 9 members appraised → at most 3 优秀
    rnd = round_in(mine, "evaluation")
    secretary = mine.users["secretary_a"]
    services.grades_set(actor=secretary, round_id=rnd.pk, grades=_grades(rnd, 3))
    assert AppraisalEntry.objects.filter(round=rnd, grade=Grade.EXCELLENT).count() == 3
    with pytest.raises(ValidationError) as caught:
        services.grades_set(actor=secretary, round_id=rnd.pk, grades=_grades(rnd, 4))
    assert caught.value.messages == ["优秀等次不得超过参评党员的三分之一（最多 3 名）"]
    # the whole sheet was rolled back: still exactly the three accepted before
    assert AppraisalEntry.objects.filter(round=rnd, grade=Grade.EXCELLENT).count() == 3


def test_cap_rounds_down_with_five_members(mine):
    add_members(mine, 4)  # 5 members → 5/3 = 1.67 → at most 1
    rnd = round_in(mine, "evaluation")
    secretary = mine.users["secretary_a"]
    services.grades_set(actor=secretary, round_id=rnd.pk, grades=_grades(rnd, 1))
    with pytest.raises(ValidationError, match=r"最多 1 名"):
        services.grades_set(actor=secretary, round_id=rnd.pk, grades=_grades(rnd, 2))


def test_cap_message_wording():
    assert cap_message(2, Fraction(1, 3)) == "优秀等次不得超过参评党员的三分之一（最多 2 名）"


def test_grades_only_in_the_evaluation_stage(mine):
    rnd = round_in(mine, "self")
    with pytest.raises(ValidationError, match="民主测评阶段"):
        services.grades_set(
            actor=mine.users["secretary_a"], round_id=rnd.pk, grades=_grades(rnd, 0)
        )


def test_close_needs_every_member_graded(mine):
    add_members(mine, 2)
    rnd = round_in(mine, "evaluation")
    secretary = mine.users["secretary_a"]
    grades = _grades(rnd, 1)
    first = next(iter(grades))
    services.grades_set(actor=secretary, round_id=rnd.pk, grades={first: Grade.EXCELLENT})
    with pytest.raises(ValidationError, match="还有 2 名党员未评定等次"):
        services.round_advance(actor=secretary, round_id=rnd.pk)
    services.grades_set(actor=secretary, round_id=rnd.pk, grades=grades)
    closed = services.round_advance(actor=secretary, round_id=rnd.pk)
    assert closed.state == "closed" and closed.closed_at is not None
    with pytest.raises(ValidationError, match="已经结束"):
        services.round_advance(actor=secretary, round_id=rnd.pk)


def test_other_branch_secretary_cannot_touch_the_round(mine):
    rnd = round_in(mine, "evaluation")
    secretary_b = secretary_of_b(mine)
    with pytest.raises(Http404):
        services.grades_set(actor=secretary_b, round_id=rnd.pk, grades={})
    with pytest.raises(Http404):
        services.round_advance(actor=secretary_b, round_id=rnd.pk)
    with pytest.raises(PermissionDenied):
        services.grades_set(actor=mine.users["member_b"], round_id=rnd.pk, grades={})


def test_evaluators_peers_must_be_members_and_masses_non_members(mine):
    rnd = round_in(mine, "draft")
    secretary = mine.users["secretary_a"]
    with pytest.raises(ValidationError) as caught:
        services.evaluators_set(
            actor=secretary,
            round_id=rnd.pk,
            peer_ids=[mine.masses_a.pk],
            masses_ids=[mine.member_a.pk],
        )
    assert set(caught.value.message_dict) == {"peers", "masses"}
    with pytest.raises(ValidationError):  # a member of another branch
        services.evaluators_set(
            actor=secretary, round_id=rnd.pk, peer_ids=[mine.member_b.pk], masses_ids=[]
        )
    saved = services.evaluators_set(
        actor=secretary, round_id=rnd.pk, peer_ids=[mine.member_a.pk], masses_ids=[mine.masses_a.pk]
    )
    assert {(e.person_id, e.kind) for e in saved} == {
        (mine.member_a.pk, "peer"),
        (mine.masses_a.pk, "masses"),
    }


def test_votes_are_stored_per_evaluator_and_the_masses_vote_themselves(mine):
    others = add_members(mine, 2)
    rnd = round_in(mine, "self")
    secretary = mine.users["secretary_a"]
    services.evaluators_set(
        actor=secretary,
        round_id=rnd.pk,
        peer_ids=[mine.member_a.pk],
        masses_ids=[mine.masses_a.pk],
    )
    rnd = services.round_advance(actor=secretary, round_id=rnd.pk)
    masses_ev = rnd.evaluators.get(kind="masses")
    entries = {e.person_id: e.pk for e in AppraisalEntry.objects.filter(round=rnd)}
    # employee_a is the masses evaluator's own account: votes for every member
    services.votes_cast(
        actor=mine.users["employee_a"],
        evaluator_id=masses_ev.pk,
        grades={pk: Grade.QUALIFIED for pk in entries.values()},
    )
    assert AppraisalVote.objects.filter(evaluator=masses_ev).count() == 3
    # changing a vote updates that evaluator's row, it never adds a second one
    services.votes_cast(
        actor=mine.users["employee_a"],
        evaluator_id=masses_ev.pk,
        grades={entries[others[0].pk]: Grade.EXCELLENT},
    )
    assert AppraisalVote.objects.filter(evaluator=masses_ev).count() == 3
    assert (
        AppraisalVote.objects.get(evaluator=masses_ev, entry_id=entries[others[0].pk]).grade
        == Grade.EXCELLENT
    )
    # a peer cannot grade themselves
    peer_ev = rnd.evaluators.get(kind="peer")
    with pytest.raises(ValidationError, match="不能评价本人"):
        services.votes_cast(
            actor=secretary,
            evaluator_id=peer_ev.pk,
            grades={entries[mine.member_a.pk]: "qualified"},
        )
    # employee_a cannot cast the peer's ballot (not theirs: out of scope → 404)
    with pytest.raises(Http404):
        services.votes_cast(actor=mine.users["employee_a"], evaluator_id=peer_ev.pk, grades={})


def test_self_assessment_by_the_member_only_in_the_self_stage(mine):
    from dangjian.accounts.models import Role, RoleAssignment, User
    from dangjian.core.testing import password_hash

    user = User.objects.create(username="member_a", password=password_hash())
    RoleAssignment.objects.create(
        user=user, role=Role.objects.get(code="member"), party_org=mine.branch_a
    )
    mine.member_a.user = user
    mine.member_a.save(update_fields=["user"])
    rnd = round_in(mine, "draft")
    entry = AppraisalEntry.objects.get(round=rnd, person=mine.member_a)
    with pytest.raises(ValidationError, match="个人自评阶段"):
        services.self_assessment_submit(actor=user, entry_id=entry.pk, text="自评")
    services.round_advance(actor=mine.users["secretary_a"], round_id=rnd.pk)
    with pytest.raises(ValidationError):
        services.self_assessment_submit(actor=user, entry_id=entry.pk, text="   ")
    services.self_assessment_submit(actor=user, entry_id=entry.pk, text="对照党员标准查摆问题。")
    entry.refresh_from_db()
    assert entry.self_assessment == "对照党员标准查摆问题。" and entry.self_submitted_at
    other = AppraisalEntry.objects.filter(round=rnd).exclude(person=mine.member_a).first()
    if other is not None:
        with pytest.raises(Http404):
            services.self_assessment_submit(actor=user, entry_id=other.pk, text="代写")
