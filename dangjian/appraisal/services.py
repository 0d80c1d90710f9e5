"""Writes of democratic appraisal: keyword-only, one transaction, audited, scope re-checked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from dangjian.appraisal.models import (
    AppraisalEntry,
    AppraisalEvaluator,
    AppraisalRound,
    AppraisalVote,
    Grade,
)
from dangjian.appraisal.rules import cap_message, excellent_cap, excellent_ratio
from dangjian.audit.services import audit_record
from dangjian.core.scope import assert_in_scope, has_permission, restrict
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, MembershipStatus, Person

State = AppraisalRound.State
NEXT_STATE = {State.DRAFT: State.SELF, State.SELF: State.EVALUATION, State.EVALUATION: State.CLOSED}


def _locked_round(actor: Any, round_id: int, action: str = "change") -> AppraisalRound:
    if not has_permission(actor, AppraisalRound, action):
        raise PermissionDenied("您没有管理民主评议的权限。")
    rnd = (
        restrict(AppraisalRound.objects.filter(pk=round_id), actor, action)
        .select_for_update()
        .first()
    )
    if rnd is None:
        raise Http404
    return rnd


def members_to_appraise(branch: PartyOrg) -> Any:
    """Party members (probationary and full, 党籍正常) of the branch and its groups."""
    return Person.objects.filter(
        party_org__path__startswith=branch.path,
        political_status__in=PARTY_MEMBER_STATUSES,
        membership_status=MembershipStatus.NORMAL,
    )


@transaction.atomic
def round_create(*, actor: Any, branch_id: int, year: int, note: str = "") -> AppraisalRound:
    if not has_permission(actor, AppraisalRound, "add"):
        raise PermissionDenied("您没有发起民主评议的权限。")
    from dangjian.appraisal.selectors import branches_for

    branch = branches_for(user=actor, action="add").filter(pk=branch_id).first()
    if branch is None:
        raise ValidationError({"branch": "所选党支部不存在或不在您的数据范围内。"})
    today = timezone.localdate()
    if not 2000 <= year <= today.year + 1:
        raise ValidationError({"year": f"年度应在 2000 至 {today.year + 1} 之间。"})
    if AppraisalRound.objects.filter(branch=branch, year=year).exists():
        raise ValidationError({"year": f"{branch.name} {year} 年度的民主评议已经发起。"})
    try:
        with transaction.atomic():
            rnd = AppraisalRound.objects.create(
                branch=branch, year=year, note=note[:300], created_by=_user_or_none(actor)
            )
    except IntegrityError as exc:  # a concurrent create of the same round
        raise ValidationError({"year": f"{branch.name} {year} 年度的民主评议已经发起。"}) from exc
    persons = list(members_to_appraise(branch).values_list("pk", flat=True))
    AppraisalEntry.objects.bulk_create(AppraisalEntry(round=rnd, person_id=pk) for pk in persons)
    assert_in_scope(rnd, actor, "add")
    audit_record(
        "create",
        obj=rnd,
        actor=actor,
        changes={"branch": branch.name, "year": year, "appraised": len(persons)},
    )
    return rnd


def _user_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


@transaction.atomic
def round_advance(*, actor: Any, round_id: int) -> AppraisalRound:
    """Move the round to its next stage; closing needs every member graded within the cap."""
    rnd = _locked_round(actor, round_id)
    if rnd.state == State.CLOSED:
        raise ValidationError("本轮民主评议已经结束，不能再变更。")
    target = NEXT_STATE[State(rnd.state)]
    entries = AppraisalEntry.objects.filter(round=rnd)
    if target == State.SELF and not entries.exists():
        raise ValidationError("本轮没有参评党员，无法开始自评。")
    if target == State.CLOSED:
        ungraded = entries.filter(grade="").count()
        if ungraded:
            raise ValidationError(f"还有 {ungraded} 名党员未评定等次，不能结束评议。")
        _check_cap(rnd)
        rnd.closed_at = timezone.now()
    before = rnd.state
    rnd.state = target
    rnd.save(update_fields=["state", "closed_at"])
    assert_in_scope(rnd, actor, "change")
    audit_record("update", obj=rnd, actor=actor, changes={"state": [before, target.value]})
    return rnd


def _check_cap(rnd: AppraisalRound) -> None:
    appraised = AppraisalEntry.objects.filter(round=rnd).count()
    excellent = AppraisalEntry.objects.filter(round=rnd, grade=Grade.EXCELLENT).count()
    ratio = excellent_ratio()
    cap = excellent_cap(appraised, ratio)
    if excellent > cap:
        raise ValidationError({"grade": cap_message(cap, ratio)})


@transaction.atomic
def evaluators_set(
    *, actor: Any, round_id: int, peer_ids: Iterable[int], masses_ids: Iterable[int]
) -> list[AppraisalEvaluator]:
    """Name the evaluators: peers are members of the branch, masses are non-members in it."""
    rnd = _locked_round(actor, round_id)
    if rnd.state not in (State.DRAFT, State.SELF):
        raise ValidationError("评议人只能在准备或自评阶段指定。")
    peer_set, masses_set = set(peer_ids), set(masses_ids)
    if peer_set & masses_set:
        raise ValidationError("同一人不能同时作为党员和群众评议人。")
    visible = restrict(Person.objects.all(), actor, "view").filter(
        party_org__path__startswith=rnd.branch.path
    )
    peers = set(
        visible.filter(pk__in=peer_set, political_status__in=PARTY_MEMBER_STATUSES).values_list(
            "pk", flat=True
        )
    )
    masses = set(
        visible.filter(pk__in=masses_set)
        .exclude(political_status__in=PARTY_MEMBER_STATUSES)
        .values_list("pk", flat=True)
    )
    errors: dict[str, list[str]] = {}
    if peers != peer_set:
        errors["peers"] = ["党员评议人须为本支部党员。"]
    if masses != masses_set:
        errors["masses"] = ["群众评议人须为本支部所联系单位的非党员职工。"]
    if errors:
        raise ValidationError(errors)
    wanted = {pk: "peer" for pk in peers} | {pk: "masses" for pk in masses}
    current = {e.person_id: e for e in AppraisalEvaluator.objects.filter(round=rnd)}
    removed = [e.pk for pid, e in current.items() if pid not in wanted or e.kind != wanted[pid]]
    AppraisalEvaluator.objects.filter(pk__in=removed).delete()
    kept = {pid for pid, e in current.items() if e.pk not in removed}
    AppraisalEvaluator.objects.bulk_create(
        AppraisalEvaluator(round=rnd, person_id=pid, kind=kind)
        for pid, kind in wanted.items()
        if pid not in kept
    )
    audit_record(
        "update",
        obj=rnd,
        actor=actor,
        changes={"evaluators": {"peers": len(peers), "masses": len(masses)}},
    )
    return list(AppraisalEvaluator.objects.filter(round=rnd))


@transaction.atomic
def self_assessment_submit(*, actor: Any, entry_id: int, text: str) -> AppraisalEntry:
    """The member (or the secretary on their behalf) records the self-assessment."""
    entry = (
        restrict(AppraisalEntry.objects.filter(pk=entry_id), actor, "change")
        .select_for_update()
        .first()
    )
    if entry is None:
        raise Http404
    rnd = entry.round
    if rnd.state != State.SELF:
        raise ValidationError("当前不在个人自评阶段。")
    text = text.strip()
    if not text:
        raise ValidationError({"self_assessment": "请填写个人自评内容。"})
    if len(text) > 4000:
        raise ValidationError({"self_assessment": "个人自评不能超过 4000 字。"})
    entry.self_assessment = text
    entry.self_submitted_at = timezone.now()
    entry.save(update_fields=["self_assessment", "self_submitted_at"])
    assert_in_scope(entry, actor, "change")
    audit_record("update", obj=entry, actor=actor, changes={"self_assessment": "已提交"})
    return entry


@transaction.atomic
def votes_cast(*, actor: Any, evaluator_id: int, grades: Mapping[int, str]) -> list[AppraisalVote]:
    """An evaluator's ballot (or the secretary entering a paper ballot): one grade per member."""
    if not has_permission(actor, AppraisalVote, "add"):
        raise PermissionDenied("您没有参加民主测评的权限。")
    evaluator = (
        restrict(AppraisalEvaluator.objects.filter(pk=evaluator_id), actor, "view")
        .select_related("round")
        .first()
    )
    if evaluator is None:
        raise Http404
    rnd = AppraisalRound.objects.select_for_update().get(pk=evaluator.round_id)
    if rnd.state != State.EVALUATION:
        raise ValidationError("当前不在民主测评阶段。")
    entries = set(
        AppraisalEntry.objects.filter(round=rnd)
        .exclude(person_id=evaluator.person_id)
        .values_list("pk", flat=True)
    )
    errors: list[str] = []
    for entry_id, grade in grades.items():
        if entry_id not in entries:
            errors.append("评价对象不属于本轮评议（不能评价本人）。")
        elif grade not in Grade.values:
            errors.append("评价等次无效。")
    if errors:
        raise ValidationError(sorted(set(errors)))
    saved = []
    for entry_id, grade in grades.items():
        vote, _ = AppraisalVote.objects.update_or_create(
            entry_id=entry_id, evaluator=evaluator, defaults={"grade": grade}
        )
        assert_in_scope(vote, actor, "add")
        saved.append(vote)
    audit_record(
        "update",
        obj=evaluator,
        actor=actor,
        changes={"votes": len(saved), "round": rnd.pk},
    )
    return saved


@transaction.atomic
def grades_set(*, actor: Any, round_id: int, grades: Mapping[int, str]) -> AppraisalRound:
    """The branch sets final grades (blank clears); 优秀 is capped (rule, floor of the ratio)."""
    rnd = _locked_round(actor, round_id)
    if rnd.state != State.EVALUATION:
        raise ValidationError("只有在民主测评阶段才能评定等次。")
    entries = {e.pk: e for e in AppraisalEntry.objects.filter(round=rnd)}
    for entry_id, grade in grades.items():
        if entry_id not in entries:
            raise ValidationError("评定对象不属于本轮评议。")
        if grade and grade not in Grade.values:
            raise ValidationError({"grade": "评定等次无效。"})
    now = timezone.now()
    changed = {}
    for entry_id, grade in grades.items():
        entry = entries[entry_id]
        if entry.grade != grade:
            changed[entry.person_id] = [entry.grade, grade]
            entry.grade = grade
            entry.graded_at = now if grade else None
    AppraisalEntry.objects.bulk_update(entries.values(), ["grade", "graded_at"])
    _check_cap(rnd)  # raises: the transaction rolls the whole sheet back
    assert_in_scope(rnd, actor, "change")
    audit_record("update", obj=rnd, actor=actor, changes={"grades": changed})
    return rnd
