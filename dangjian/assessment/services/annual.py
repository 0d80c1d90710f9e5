"""年终总评 and 双评 (star branches and star members), issue 4 §5.

Annual evaluation (``annual_compute``), from the year's FINAL quarterly rounds of a committee:

* weights from rule ``assessment.annual_weights`` (snapshotted in ``weights``); a branch
  missing a quarter (no round held, or not assessed in it) is scored on the quarters it has,
  their weights re-normalised to sum 1, and its note says so;
* annual star from the star thresholds (snapshotted in ``star_rules``); five stars need an
  innovation project in at least one quarter when ``five_star_requires_innovation``; a veto in
  any quarter means no annual star (0), the score and rank stay;
* rank: annual score desc, then not vetoed first, then the latest quarter's total desc, then
  the branch's path asc (distinct ranks);
* ``previous_star`` is last year's annual star of the branch; ``movement`` = star −
  previous_star (> 0 晋位升级, < 0 降级, 0 unchanged or no previous year).

Star members (``star_members_*``): a ``StarMemberRating`` per Party member of the assessed
branches; the member enters the self score, the branch the branch score, the masses' score is
the survey ``assessment.star_members:<evaluation id>`` (fewer respondents than the minimum: not
counted). The scores present are combined with rule ``assessment.star_member_weights``
re-normalised over them (a missing self score or masses score is noted); without a branch score
there is no combined score. Stars from ``assessment.star_member_thresholds``. ``annual_publish``
publishes the star branches and the star members together.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.assessment.errors import Locked, StaleVersion
from dangjian.assessment.models import (
    AnnualEvaluation,
    AnnualResult,
    AssessmentRound,
    ScoreSheet,
    StarMemberRating,
)
from dangjian.assessment.services.engine import bulk_set
from dangjian.assessment.stars import ZERO, Rated, apply_stars, q, rank, star_for, weighted
from dangjian.audit.services import audit_record
from dangjian.core.rules import rule, rules
from dangjian.core.scope import (
    SYSTEM,
    _grants,
    ancestor_paths,
    has_permission,
    permission_name,
    restrict,
)
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person

QUARTERS = ("1", "2", "3", "4")
STAR_RULE_KEYS = ("assessment.star_thresholds", "assessment.five_star_requires_innovation")
MEMBER_PARTS = {"self": "本人自评", "branch": "支部评分", "masses": "群众评议"}


def may(actor: Any, model: type[Any], action: str, path: str) -> bool:
    """May ``actor`` ``action`` rows of ``model`` at the organisation with ``path``?"""
    if actor is SYSTEM:
        return True
    if not has_permission(actor, model, action):
        return False
    perm = permission_name(model, action)
    return any(
        grant.kind == "all" or (grant.kind == "subtree" and path.startswith(grant.org_path))
        for grant in _grants(actor)
        if grant.allows(perm)
    )


def _require(actor: Any, model: type[Any], action: str, path: str) -> None:
    if not may(actor, model, action, path):
        raise PermissionDenied("您没有管理该党委年终总评的权限。")


def _locked_evaluation(evaluation_id: int) -> AnnualEvaluation:
    return (
        AnnualEvaluation.objects.select_for_update()
        .select_related("party_org")
        .get(pk=evaluation_id)
    )


@transaction.atomic
def annual_compute(*, actor: Any, party_org_id: int, year: int) -> AnnualEvaluation:
    """Create or recompute the year's evaluation of a committee (draft only)."""
    org = PartyOrg.objects.filter(pk=party_org_id).first()
    if org is None:
        raise ValidationError("党组织不存在。")
    _require(actor, AnnualEvaluation, "add", org.path)
    rounds: dict[str, AssessmentRound] = {}
    for rnd in AssessmentRound.objects.filter(
        party_org=org,
        year=year,
        kind=AssessmentRound.Kind.QUARTERLY,
        state=AssessmentRound.State.FINAL,
        quarter__in=[1, 2, 3, 4],
    ).order_by("quarter", "-id"):
        rounds.setdefault(str(rnd.quarter), rnd)
    if not rounds:
        raise ValidationError(f"{year}年没有已定稿的季度考核，不能进行年终总评。")
    evaluation, created = AnnualEvaluation.objects.get_or_create(
        party_org=org,
        year=year,
        defaults={"created_by": None if actor is SYSTEM else actor},
    )
    evaluation = _locked_evaluation(evaluation.pk)
    if evaluation.state == AnnualEvaluation.State.PUBLISHED:
        raise Locked("该年度总评已发布，不能重新计算。")
    evaluation.weights = rule("assessment.annual_weights")
    evaluation.star_rules = {
        **rules(*STAR_RULE_KEYS),
        "assessment.star_member_thresholds": rule("assessment.star_member_thresholds"),
    }
    evaluation.star_member_weights = rule("assessment.star_member_weights")

    round_quarter = {rnd.pk: quarter for quarter, rnd in rounds.items()}
    per_branch: dict[int, dict[str, Any]] = {}
    for round_id, branch_id, name, path, total, vetoed, innovation in (
        ScoreSheet.objects.filter(round__in=list(rounds.values()))
        .order_by("branch__path")
        .values_list(
            "round_id",
            "branch_id",
            "branch__name",
            "branch__path",
            "total",
            "vetoed",
            "has_innovation",
        )
    ):
        entry = per_branch.setdefault(
            branch_id,
            {"name": name, "path": path, "totals": {}, "vetoed": [], "innovation": False},
        )
        quarter = round_quarter[round_id]
        if total is not None:
            entry["totals"][quarter] = q(total)
        if vetoed:
            entry["vetoed"].append(quarter)
        entry["innovation"] = entry["innovation"] or innovation
    previous = dict(
        AnnualResult.objects.filter(
            evaluation__party_org=org, evaluation__year=year - 1, branch_id__in=list(per_branch)
        ).values_list("branch_id", "star")
    )

    rated: list[Rated] = []
    for branch_id, entry in per_branch.items():
        totals: dict[str, Decimal] = entry["totals"]
        score = weighted(totals, evaluation.weights) or ZERO
        notes = []
        missing = [quarter for quarter in QUARTERS if quarter not in totals]
        if missing and totals:
            held = "、".join(f"第{quarter}季度" for quarter in QUARTERS if quarter in totals)
            notes.append(f"缺{'、'.join(f'第{m}季度' for m in missing)}考核，按{held}的权重折算")
        elif not totals:
            notes.append("无季度考核得分")
        if entry["vetoed"]:
            notes.append(
                f"{'、'.join(f'第{v}季度' for v in entry['vetoed'])}一票否决，不评年度星级"
            )
        latest = totals[max(totals)] if totals else ZERO
        item = Rated(
            key=branch_id,
            total=score,
            sort_key=(-score, bool(entry["vetoed"]), -latest, entry["path"]),
            vetoed=bool(entry["vetoed"]),
            has_innovation=bool(entry["innovation"]),
        )
        item.notes.extend(notes)
        rated.append(item)
    rank(rated)
    apply_stars(
        rated,
        thresholds=evaluation.star_rules["assessment.star_thresholds"],
        requires_innovation=bool(
            evaluation.star_rules.get("assessment.five_star_requires_innovation")
        ),
    )
    AnnualResult.objects.filter(evaluation=evaluation).delete()
    rows = []
    for item in rated:
        entry = per_branch[item.key]
        before = previous.get(item.key)
        rows.append(
            AnnualResult(
                evaluation=evaluation,
                branch_id=item.key,
                branch_name=entry["name"],
                quarter_totals={k: str(v) for k, v in sorted(entry["totals"].items())},
                score=item.total,
                rank=item.rank,
                star=item.star,
                previous_star=before,
                movement=(item.star - before) if before is not None else 0,
                vetoed=item.vetoed,
                note=item.note,
            )
        )
    AnnualResult.objects.bulk_create(rows)
    evaluation.computed_at = timezone.now()
    evaluation.save()
    prepared = star_members_prepare(actor=actor, evaluation_id=evaluation.pk)
    star_members_compute(evaluation_id=evaluation.pk)
    audit_record(
        "create" if created else "update",
        obj=evaluation,
        actor=actor,
        changes={
            "computed": {
                "quarters": sorted(rounds),
                "branches": len(rows),
                "star_members_added": prepared,
            }
        },
        reason="计算年终总评",
    )
    return evaluation


@transaction.atomic
def annual_publish(*, actor: Any, evaluation_id: int) -> AnnualEvaluation:
    """Publish the star branches and the star members together (both become public)."""
    evaluation = _locked_evaluation(evaluation_id)
    _require(actor, AnnualEvaluation, "change", evaluation.party_org.path)
    if evaluation.state == AnnualEvaluation.State.PUBLISHED:
        raise ValidationError("该年度总评已发布。")
    if evaluation.computed_at is None or not evaluation.results.exists():
        raise ValidationError("请先计算年终总评再发布。")
    star_members_compute(evaluation_id=evaluation.pk)
    evaluation.state = AnnualEvaluation.State.PUBLISHED
    evaluation.is_public = True
    evaluation.published_at = timezone.now()
    evaluation.save(update_fields=["state", "is_public", "published_at"])
    audit_record(
        "update",
        obj=evaluation,
        actor=actor,
        changes={"state": ["draft", "published"], "is_public": [False, True]},
        reason="发布星级党支部、星级党员评定结果",
    )
    return evaluation


@transaction.atomic
def star_members_prepare(*, actor: Any, evaluation_id: int) -> int:
    """A rating for every Party member of the assessed branches (existing ones kept)."""
    evaluation = _locked_evaluation(evaluation_id)
    _require(actor, AnnualEvaluation, "change", evaluation.party_org.path)
    if evaluation.is_public:
        raise Locked("该年度总评已发布，不能再增加星级党员评定。")
    branches = dict(
        AnnualResult.objects.filter(evaluation=evaluation).values_list("branch__path", "branch_id")
    )
    if not branches:
        raise ValidationError("请先计算年终总评。")
    existing = set(
        StarMemberRating.objects.filter(evaluation=evaluation).values_list("person_id", flat=True)
    )
    members = Person.objects.filter(
        political_status__in=PARTY_MEMBER_STATUSES,
        party_org__path__startswith=evaluation.party_org.path,
    ).values_list("pk", "party_org__path")
    rows = []
    for person_id, path in members:
        if person_id in existing:
            continue
        branch_id = next(
            (branches[p] for p in reversed(ancestor_paths(path)) if p in branches), None
        )
        if branch_id is not None:
            rows.append(
                StarMemberRating(evaluation=evaluation, person_id=person_id, branch_id=branch_id)
            )
    StarMemberRating.objects.bulk_create(rows)
    return len(rows)


def may_rate_as_branch(actor: Any, rating: StarMemberRating) -> bool:
    """The branch score is entered by the branch (or above), never by the member about self."""
    if actor is not SYSTEM and getattr(getattr(actor, "person", None), "pk", None) == (
        rating.person_id
    ):
        return False
    return may(actor, StarMemberRating, "change", rating.branch.path)


def may_rate_self(actor: Any, rating: StarMemberRating) -> bool:
    person = getattr(actor, "person", None)
    return person is not None and person.pk == rating.person_id


def _score(value: Any, label: str) -> Decimal:
    try:
        number = q(value)
    except (ArithmeticError, ValueError, TypeError) as exc:
        raise ValidationError(f"{label}应为数字。") from exc
    if not ZERO <= number <= Decimal(100):
        raise ValidationError(f"{label}应在 0 至 100 分之间。")
    return number


@transaction.atomic
def star_member_score_save(
    *,
    actor: Any,
    rating_id: int,
    version: int,
    self_score: Any = None,
    branch_score: Any = None,
) -> StarMemberRating:
    """The member's own score or the branch's score of one member (optimistic locking)."""
    rating = (
        restrict(StarMemberRating.objects.select_for_update(), actor, "change")
        .select_related("evaluation", "branch")
        .filter(pk=rating_id)
        .first()
    )
    if rating is None:
        raise PermissionDenied("该星级党员评定不在您的权限范围内。")
    if rating.evaluation.is_public:
        raise Locked("星级党员评定结果已发布，不能修改。")
    if rating.version != version:
        raise StaleVersion(rating.version)
    changes: dict[str, Any] = {}
    if self_score is not None:
        if not may_rate_self(actor, rating):
            raise PermissionDenied("自评分只能由党员本人填写。")
        value = _score(self_score, "自评分")
        changes["self_score"] = [rating.self_score, value]
        rating.self_score = value
    if branch_score is not None:
        if not may_rate_as_branch(actor, rating):
            raise PermissionDenied("支部评分由所在党支部填写，不能为本人评分。")
        value = _score(branch_score, "支部评分")
        changes["branch_score"] = [rating.branch_score, value]
        rating.branch_score = value
    if not changes:
        raise ValidationError("请填写分数。")
    _combine(rating, rating.evaluation)
    rating.version += 1
    rating.save()
    audit_record("update", obj=rating, actor=actor, changes=changes, reason="星级党员评分")
    return rating


def _combine(rating: StarMemberRating, evaluation: AnnualEvaluation) -> None:
    """``combined``, ``star`` and ``note`` of one rating from its three parts."""
    weights = evaluation.star_member_weights or rule("assessment.star_member_weights")
    thresholds = (evaluation.star_rules or {}).get("assessment.star_member_thresholds") or rule(
        "assessment.star_member_thresholds"
    )
    parts = {
        "self": rating.self_score,
        "branch": rating.branch_score,
        "masses": rating.masses_score,
    }
    notes = []
    if rating.masses_score is None:
        if rating.masses_respondents:
            notes.append(f"群众评议仅 {rating.masses_respondents} 人，未达最少人数，不计入")
        else:
            notes.append("无群众评议结果，不计入")
    if rating.self_score is None:
        notes.append("本人未自评，不计入")
    present = {k: q(v) for k, v in parts.items() if v is not None}
    if rating.branch_score is None:
        rating.combined = None
        rating.star = None
        notes.append("支部尚未评分，暂不评定")
    else:
        rating.combined = weighted(present, weights)
        rating.star = star_for(rating.combined, thresholds) if rating.combined is not None else None
        if len(present) < len(parts):
            notes.append(
                "按" + "、".join(MEMBER_PARTS[k] for k in parts if k in present) + "的权重折算"
            )
    rating.note = "；".join(notes)[:300]


def _person_scores(context: str, person_ids: list[int]) -> dict[int, Any] | None:
    try:
        selectors = importlib.import_module("dangjian.surveys.selectors")
    except ImportError:
        return None
    result: dict[int, Any] = selectors.person_scores(context, person_ids)
    return result


@transaction.atomic
def star_members_compute(*, evaluation_id: int) -> int:
    """Masses' scores from the survey, combined scores and stars of every rating."""
    evaluation = AnnualEvaluation.objects.get(pk=evaluation_id)
    ratings = list(StarMemberRating.objects.filter(evaluation=evaluation))
    if not ratings:
        return 0
    masses = (
        _person_scores(f"assessment.star_members:{evaluation.pk}", [r.person_id for r in ratings])
        or {}
    )
    rows = []
    for rating in ratings:
        found = masses.get(rating.person_id)
        counted = found is not None and found.counted and found.score is not None
        rating.masses_score = q(found.score) if counted and found is not None else None
        rating.masses_respondents = int(getattr(found, "respondents", 0) or 0)
        _combine(rating, evaluation)
        rows.append(
            (
                rating.pk,
                rating.masses_score,
                rating.masses_respondents,
                rating.combined,
                rating.star,
                rating.note,
            )
        )
    return bulk_set(
        StarMemberRating,
        ("masses_score", "masses_respondents", "combined", "star", "note"),
        rows,
    )


def star_member_summary(evaluation: AnnualEvaluation) -> dict[int, int]:
    """{star: number of members} of an evaluation (for pages)."""
    counts: dict[int, int] = defaultdict(int)
    for star in StarMemberRating.objects.filter(evaluation=evaluation).values_list(
        "star", flat=True
    ):
        if star is not None:
            counts[star] += 1
    return dict(sorted(counts.items(), reverse=True))
