"""Writes of assessment rounds: create, the state machine, scorer assignments, spot checks,
objections.

A round applies a PUBLISHED scheme to chosen branches of the committee's subtree: one sheet per
branch (name snapshot), one Score per criterion, one SelfCheck, all in bulk. States move
forward one step at a time (draft → self_check → scoring → review → notice → objections →
final), each step checked; publishing (→ notice) computes the results through the engine and
announces them; final locks everything. Every write: permission, one transaction, scope
re-checked, audit event.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from dangjian.assessment.errors import Locked
from dangjian.assessment.models import (
    AssessmentRound,
    AssessmentScheme,
    Category,
    Criterion,
    Objection,
    Score,
    ScorerAssignment,
    ScoreSheet,
    ScoringMethod,
    SelfCheck,
    SpotCheck,
)
from dangjian.audit.services import audit_record
from dangjian.core.periods import Period
from dangjian.core.rules import rule, rules
from dangjian.core.scope import SYSTEM, _grants, assert_in_scope, has_permission, restrict
from dangjian.orgs.models import PartyOrg

State = AssessmentRound.State
ORDER: tuple[str, ...] = tuple(State.values)
STAR_RULE_KEYS = (
    "assessment.star_thresholds",
    "assessment.five_star_requires_innovation",
    "assessment.star_quotas",
)
SCORING_STATES = frozenset({State.SCORING, State.REVIEW})
OBJECTION_STATES = frozenset({State.NOTICE, State.OBJECTIONS})


def _require(actor: Any, model: type, action: str, message: str) -> None:
    if not has_permission(actor, model, action):
        raise PermissionDenied(message)


def _locked_round(actor: Any, round_id: int) -> AssessmentRound:
    rnd = (
        restrict(AssessmentRound.objects.all(), actor, "change")
        .filter(pk=round_id)
        .values_list("pk", flat=True)
        .first()
    )
    if rnd is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    return AssessmentRound.objects.select_for_update().select_related("scheme").get(pk=rnd)


def may_for_branch(actor: Any, model: type[models.Model], action: str, branch_path: str) -> bool:
    """Does a grant (not a publication) let the actor ``action`` rows of this branch?"""
    if actor is SYSTEM:
        return True
    perm = f"{model._meta.app_label}.{action}_{model._meta.model_name}"
    for grant in _grants(actor):
        if not grant.allows(perm):
            continue
        if grant.kind == "all" or (
            grant.kind == "subtree" and branch_path.startswith(grant.org_path)
        ):
            return True
    return False


# --- create ---------------------------------------------------------------------------------


def _period(
    kind: str,
    year: int,
    quarter: int | None,
    period_start: dt.date | None,
    period_end: dt.date | None,
    errors: dict[str, str],
) -> tuple[dt.date | None, dt.date | None]:
    if kind == AssessmentRound.Kind.QUARTERLY:
        if quarter not in (1, 2, 3, 4):
            errors["quarter"] = "季度考核须选择季度（1至4）。"
            return None, None
        period = Period.quarter(year, int(quarter))
        return period.start, period.end
    if kind != AssessmentRound.Kind.SPECIAL:
        errors["kind"] = "考核类型无效。"
        return None, None
    if period_start is None or period_end is None:
        errors["period_start"] = "专项考核须填写考核期的开始和结束日期。"
    elif period_end < period_start:
        errors["period_end"] = "考核期结束日期不能早于开始日期。"
    return period_start, period_end


@transaction.atomic
def round_create(
    *,
    actor: Any,
    scheme_id: int,
    name: str,
    kind: str,
    year: int,
    quarter: int | None = None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    opens_on: dt.date,
    closes_on: dt.date,
    branch_ids: Sequence[int],
    apply_quotas: bool = False,
    note: str = "",
) -> AssessmentRound:
    """A round over ``branch_ids`` with sheets, scores and self-checks (constant queries)."""
    _require(actor, AssessmentRound, "add", "您没有发起考核的权限。")
    scheme = (
        restrict(AssessmentScheme.objects.select_related("party_org"), actor, "view")
        .filter(pk=scheme_id)
        .first()
    )
    errors: dict[str, str] = {}
    if scheme is None:
        raise ValidationError({"scheme": "考核方案不存在或不在您的权限范围内。"})
    if scheme.state != AssessmentScheme.State.PUBLISHED:
        errors["scheme"] = "只能使用已发布的考核方案。"
    name = (name or "").strip()
    if not name or len(name) > 120:
        errors["name"] = "请填写考核名称（不超过 120 字）。"
    start, end = _period(kind, int(year), quarter, period_start, period_end, errors)
    if opens_on is None or closes_on is None:
        errors["closes_on"] = "请填写开始和截止日期。"
    elif closes_on < opens_on:
        errors["closes_on"] = "截止日期不能早于开始日期。"
    wanted = sorted({int(b) for b in branch_ids})
    committee = scheme.party_org
    branches = list(
        PartyOrg.objects.filter(
            pk__in=wanted,
            kind=PartyOrg.Kind.BRANCH,
            path__startswith=committee.path,
        )
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=timezone.localdate()))
        .order_by("path")
        if wanted
        else []
    )
    if not wanted:
        errors["branches"] = "请至少选择一个党支部。"
    elif len(branches) != len(wanted):
        missing = sorted(set(wanted) - {b.pk for b in branches})
        errors["branches"] = f"以下组织不是{committee.name}下属的党支部：{missing}。"
    branches = [b for b in branches if may_for_branch(actor, AssessmentRound, "add", b.path)]
    if wanted and not errors.get("branches") and len(branches) != len(wanted):
        errors["branches"] = "所选党支部超出您的数据权限范围。"
    if errors:
        raise ValidationError(errors)
    assert start is not None and end is not None
    rnd = AssessmentRound.objects.create(
        party_org=committee,
        scheme=scheme,
        name=name,
        kind=kind,
        year=int(year),
        quarter=int(quarter) if kind == AssessmentRound.Kind.QUARTERLY and quarter else None,
        period_start=start,
        period_end=end,
        opens_on=opens_on,
        closes_on=closes_on,
        apply_quotas=bool(apply_quotas),
        star_rules=rules(*STAR_RULE_KEYS),
        note=(note or "").strip()[:4000],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    sheets = ScoreSheet.objects.bulk_create(
        ScoreSheet(round=rnd, branch=b, branch_name=b.name) for b in branches
    )
    criterion_ids = list(
        Criterion.objects.filter(category__scheme=scheme).values_list("pk", flat=True)
    )
    Score.objects.bulk_create(
        (Score(sheet=s, criterion_id=c) for s in sheets for c in criterion_ids), batch_size=2000
    )
    SelfCheck.objects.bulk_create(SelfCheck(sheet=s) for s in sheets)
    assert_in_scope(rnd, actor, "change")
    audit_record(
        "assessment.round_create",
        obj=rnd,
        actor=actor,
        changes={
            "scheme": scheme.pk,
            "kind": kind,
            "period": [start.isoformat(), end.isoformat()],
            "branches": [b.pk for b in branches],
            "criteria": len(criterion_ids),
        },
    )
    return rnd


# --- state machine --------------------------------------------------------------------------


def _names(names: Iterable[str], limit: int = 10) -> str:
    items = list(names)
    text = "、".join(items[:limit])
    return text + (f" 等 {len(items)} 个" if len(items) > limit else "")


def _check_self_checks(rnd: AssessmentRound, today: dt.date) -> None:
    missing = list(
        ScoreSheet.objects.filter(round=rnd, self_check__submitted_at__isnull=True)
        .order_by("branch__path")
        .values_list("branch_name", flat=True)
    )
    if missing and today <= rnd.closes_on:
        raise ValidationError(
            f"以下支部尚未提交自查：{_names(missing)}。请待其提交，或在截止日期"
            f"（{rnd.closes_on:%Y-%m-%d}）之后再进入考核评分。"
        )


def _check_scored(rnd: AssessmentRound) -> None:
    rows = (
        Score.objects.filter(
            sheet__round=rnd,
            points__isnull=True,
            criterion__method=ScoringMethod.MANUAL,
            criterion__is_bonus=False,
        )
        .values_list("sheet__branch_name", "criterion__code")
        .order_by("sheet__branch__path", "criterion__category__sort_order", "criterion__sort_order")
    )
    missing: dict[str, list[str]] = defaultdict(list)
    for branch, code in rows:
        missing[branch].append(code)
    if missing:
        parts = [f"{b}（{_names(codes, 5)}）" for b, codes in missing.items()]
        raise ValidationError(f"以下支部还有未评分的细则：{_names(parts, 5)}。")


def _create_surveys(actor: Any, rnd: AssessmentRound) -> int:
    criteria = list(
        Criterion.objects.filter(
            category__scheme=rnd.scheme_id, method=ScoringMethod.SURVEY
        ).order_by("category__sort_order", "sort_order")
    )
    if not criteria:
        return 0
    from dangjian.surveys.services import survey_create

    audiences = sorted({c.survey_audience or "all" for c in criteria})
    sheets = list(ScoreSheet.objects.filter(round=rnd).order_by("branch__path"))
    opens = max(rnd.opens_on, timezone.localdate())
    closes = max(rnd.closes_on, opens)
    made = 0
    for audience in audiences:
        label = {"members": "党员", "masses": "群众"}.get(audience, "党员群众")
        for sheet in sheets:
            survey_create(
                actor=actor,
                title=f"{rnd.name} · {sheet.branch_name}{label}满意度测评"[:120],
                context=f"assessment.round:{rnd.pk}",
                subject_org_id=sheet.branch_id,
                audience=audience,
                questions=None,
                opens_on=opens,
                closes_on=closes,
                open_now=True,
            )
            made += 1
    return made


def _close_surveys(actor: Any, rnd: AssessmentRound) -> int:
    """The satisfaction surveys end when scoring starts: results are computed only from closed
    surveys, so nobody can watch a branch's figure move after one person's answer."""
    from dangjian.surveys.models import Survey
    from dangjian.surveys.services import survey_close

    ids = list(
        Survey.objects.filter(
            context=f"assessment.round:{rnd.pk}", state=Survey.State.OPEN
        ).values_list("pk", flat=True)
    )
    for survey_id in ids:
        survey_close(actor=actor, survey_id=survey_id)
    return len(ids)


@transaction.atomic
def round_advance(
    *, actor: Any, round_id: int, to_state: str, today: dt.date | None = None
) -> AssessmentRound:
    """Move a round one step forward, after the checks of that step."""
    _require(actor, AssessmentRound, "change", "您没有推进考核阶段的权限。")
    today = today or timezone.localdate()
    rnd = _locked_round(actor, round_id)
    current = rnd.state
    if to_state not in ORDER:
        raise ValidationError("目标阶段无效。")
    if current == State.FINAL:
        raise Locked("考核已定稿，不能再变更。")
    expected = ORDER[ORDER.index(current) + 1]
    if to_state != expected:
        raise ValidationError(
            f"当前阶段为“{State(current).label}”，只能进入“{State(expected).label}”，"
            f"不能直接进入“{State(to_state).label}”。"
        )
    changes: dict[str, Any] = {"state": [current, to_state]}
    now = timezone.now()
    if to_state == State.SELF_CHECK:
        changes["surveys"] = _create_surveys(actor, rnd)
    elif to_state == State.SCORING:
        _check_self_checks(rnd, today)
        changes["surveys_closed"] = _close_surveys(actor, rnd)
        # scorers see the automatic criteria's points and the records behind them from the start
        from dangjian.assessment.services.engine import round_compute

        round_compute(round_id=rnd.pk, actor=actor)
        rnd.refresh_from_db()
    elif to_state == State.REVIEW:
        _check_scored(rnd)
    elif to_state == State.NOTICE:
        from dangjian.assessment.services.engine import round_compute

        summary = round_compute(round_id=rnd.pk, actor=actor)
        rnd.refresh_from_db()
        days = int(rule("assessment.notice_days"))
        rnd.is_public = True
        rnd.published_at = now
        rnd.notice_starts_on = today
        rnd.notice_ends_on = today + dt.timedelta(days=days - 1 if days > 0 else 0)
        changes["notice"] = [rnd.notice_starts_on.isoformat(), rnd.notice_ends_on.isoformat()]
        changes["computed"] = {k: v for k, v in summary.items() if isinstance(v, int | str)}
    elif to_state == State.FINAL:
        open_count = Objection.objects.filter(sheet__round=rnd, state=Objection.State.OPEN).count()
        if open_count:
            raise ValidationError(f"还有 {open_count} 条异议未处理，不能定稿。")
        if rnd.notice_ends_on and today <= rnd.notice_ends_on:
            raise ValidationError(
                f"公示期至 {rnd.notice_ends_on:%Y-%m-%d} 结束，公示期满后方可定稿。"
            )
        from dangjian.assessment.services.engine import round_compute

        round_compute(round_id=rnd.pk, actor=actor)
        rnd.refresh_from_db()
        reopened = Score.objects.filter(sheet__round=rnd, reopened=True).update(
            reopened=False, version=F("version") + 1
        )
        rnd.finalised_at = now
        changes["reopened_cleared"] = reopened
    rnd.state = to_state
    rnd.version += 1
    rnd.save()
    audit_record("assessment.round_advance", obj=rnd, actor=actor, changes=changes)
    return rnd


RECOMPUTE_STATES = (State.SCORING, State.REVIEW, State.OBJECTIONS)


@transaction.atomic
def round_recompute(*, actor: Any, round_id: int) -> dict[str, Any]:
    """Recompute the automatic criteria from the records as they are now (while scoring)."""
    _require(actor, AssessmentRound, "change", "您没有重新计算考核得分的权限。")
    rnd = _locked_round(actor, round_id)
    if rnd.state not in RECOMPUTE_STATES:
        raise ValidationError(
            f"当前阶段为“{State(rnd.state).label}”，只有评分、审核和异议处理阶段可以重新计算。"
        )
    from dangjian.assessment.services.engine import round_compute

    summary = round_compute(round_id=rnd.pk, actor=actor)
    audit_record(
        "assessment.round_recompute",
        obj=rnd,
        actor=actor,
        changes={k: v for k, v in summary.items() if isinstance(v, int | str)},
    )
    return summary


# --- scorer assignments ---------------------------------------------------------------------


@transaction.atomic
def assignment_add(
    *,
    actor: Any,
    round_id: int,
    user_id: int,
    branch_id: int | None = None,
    category_id: int | None = None,
    criterion_id: int | None = None,
    department_id: int | None = None,
    note: str = "",
) -> ScorerAssignment:
    """An assessment-team member scores the named branch / category / criterion (empty = all)."""
    from django.contrib.auth import get_user_model

    _require(actor, ScorerAssignment, "add", "您没有安排评分分工的权限。")
    rnd = _locked_round(actor, round_id)
    if rnd.state == State.FINAL:
        raise Locked("考核已定稿，不能再调整评分分工。")
    errors: dict[str, str] = {}
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        errors["user"] = "评分人不存在或已停用。"
    if branch_id and not ScoreSheet.objects.filter(round=rnd, branch_id=branch_id).exists():
        errors["branch"] = "该党支部不在本轮考核范围内。"
    if category_id and not Category.objects.filter(pk=category_id, scheme=rnd.scheme).exists():
        errors["category"] = "该考核大项不属于本轮考核方案。"
    criterion = None
    if criterion_id:
        criterion = Criterion.objects.filter(pk=criterion_id, category__scheme=rnd.scheme).first()
        if criterion is None:
            errors["criterion"] = "该细则不属于本轮考核方案。"
        elif category_id and criterion.category_id != int(category_id):
            errors["criterion"] = "细则不属于所选大项。"
    if errors or user is None:
        raise ValidationError(errors)
    row = ScorerAssignment.objects.create(
        round=rnd,
        user=user,
        branch_id=branch_id or None,
        category_id=category_id or None,
        criterion_id=criterion_id or None,
        department_id=department_id or None,
        note=(note or "").strip()[:200],
    )
    assert_in_scope(row, actor, "change")
    audit_record(
        "assessment.assignment_add",
        obj=rnd,
        actor=actor,
        changes={
            "user": str(user),
            "branch": branch_id,
            "category": category_id,
            "criterion": criterion_id,
        },
    )
    return row


@transaction.atomic
def assignment_remove(*, actor: Any, assignment_id: int) -> None:
    _require(actor, ScorerAssignment, "change", "您没有调整评分分工的权限。")
    row = (
        restrict(ScorerAssignment.objects.select_related("round"), actor, "change")
        .filter(pk=assignment_id)
        .first()
    )
    if row is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    if row.round.state == State.FINAL:
        raise Locked("考核已定稿，不能再调整评分分工。")
    audit_record(
        "assessment.assignment_remove",
        obj=row.round,
        actor=actor,
        changes={"user": str(row.user), "assignment": row.pk},
    )
    row.delete()


# --- who may score what ---------------------------------------------------------------------


def _manager(user: Any) -> bool:
    return has_permission(user, AssessmentRound, "change")


def _department_domains(user: Any) -> frozenset[str]:
    """Domains the user scores by department (a change_score grant held with a department)."""
    found: set[str] = set()
    for grant in _grants(user):
        if grant.allows("assessment.change_score") and grant.domains:
            found |= grant.domains
    return frozenset(found)


def scorable_ids(user: Any, scores: Sequence[Score]) -> set[int]:
    """The ids of ``scores`` the user may score (scope, department domain or assignment).

    Expects ``criterion__category`` and ``sheet`` loaded; two queries whatever the count.
    """
    if not scores:
        return set()
    if user is SYSTEM:
        return {s.pk for s in scores}
    if not has_permission(user, Score, "change"):
        return set()
    in_scope = set(
        restrict(Score.objects.filter(pk__in=[s.pk for s in scores]), user, "change").values_list(
            "pk", flat=True
        )
    )
    if _manager(user):
        return in_scope
    domains = _department_domains(user)
    round_ids = {s.sheet.round_id for s in scores}
    rows = list(
        ScorerAssignment.objects.filter(round_id__in=round_ids, user=user).values_list(
            "round_id", "branch_id", "category_id", "criterion_id"
        )
    )
    allowed: set[int] = set()
    for s in scores:
        if s.pk not in in_scope:
            continue
        crit = s.criterion
        if crit.category.domain in domains or (domains & {"political_work"}):
            allowed.add(s.pk)
            continue
        for round_id, branch_id, category_id, criterion_id in rows:
            if (
                round_id == s.sheet.round_id
                and branch_id in (None, s.sheet.branch_id)
                and category_id in (None, crit.category_id)
                and criterion_id in (None, crit.pk)
            ):
                allowed.add(s.pk)
                break
    return allowed


def can_score(user: Any, score: Score) -> bool:
    """May ``user`` score this criterion of this sheet (state aside)?"""
    return score.pk in scorable_ids(user, [score])


def score_open(rnd: AssessmentRound, score: Score) -> bool:
    """Is the score writable in the round's state (reopened scores during objections)?"""
    return rnd.state in SCORING_STATES or (rnd.state in OBJECTION_STATES and score.reopened)


# --- spot checks ----------------------------------------------------------------------------


def _strata(branch_ids: list[int]) -> dict[int, str]:
    from dangjian.orgs.models import Unit

    cats = dict(PartyOrg.objects.filter(pk__in=branch_ids).values_list("pk", "category"))
    production = set(
        Unit.objects.filter(party_org_id__in=branch_ids, is_production=True).values_list(
            "party_org_id", flat=True
        )
    )
    return {
        b: (cats.get(b) or ("生产单位" if b in production else "非生产单位")) for b in branch_ids
    }


def _risk(rnd: AssessmentRound, sheets: list[ScoreSheet]) -> dict[int, tuple[int, Decimal | None]]:
    from dangjian.core.registries import org_warnings

    branch_ids = [s.branch_id for s in sheets]
    warnings = org_warnings(branch_ids)
    previous = (
        AssessmentRound.objects.filter(party_org=rnd.party_org, period_end__lt=rnd.period_start)
        .exclude(pk=rnd.pk)
        .filter(computed_at__isnull=False)
        .order_by("-period_end", "-pk")
        .first()
    )
    totals: dict[int, Decimal | None] = {}
    if previous is not None:
        totals = dict(
            ScoreSheet.objects.filter(round=previous, branch_id__in=branch_ids).values_list(
                "branch_id", "total"
            )
        )
    return {b: (len(warnings.get(b, [])), totals.get(b)) for b in branch_ids}


@transaction.atomic
def spot_check_select(
    *,
    actor: Any,
    round_id: int,
    method: str,
    count_per_stratum: int = 1,
    seed: str | int | None = None,
    sheet_ids: Sequence[int] | None = None,
    reason: str = "",
) -> list[SpotCheck]:
    """Pick branches for on-site inspection: random within strata, by risk, or by hand."""
    _require(actor, SpotCheck, "add", "您没有选点检查的权限。")
    rnd = _locked_round(actor, round_id)
    if rnd.state == State.FINAL:
        raise Locked("考核已定稿，不能再选点。")
    reason = (reason or "").strip()
    count = max(1, int(count_per_stratum or 1))
    taken = set(SpotCheck.objects.filter(round=rnd).values_list("sheet_id", flat=True))
    sheets = [
        s
        for s in ScoreSheet.objects.filter(round=rnd)
        .select_related("branch")
        .order_by("branch__path")
        if s.pk not in taken
    ]
    picks: list[tuple[ScoreSheet, str, str]] = []  # sheet, stratum, reason
    seed_text = ""
    if method == SpotCheck.Method.RANDOM:
        seed_text = str(seed) if seed not in (None, "") else secrets.token_hex(6)
        rng = random.Random(seed_text)
        strata = _strata([s.branch_id for s in sheets])
        grouped: dict[str, list[ScoreSheet]] = defaultdict(list)
        for s in sheets:
            grouped[strata[s.branch_id]].append(s)
        for stratum in sorted(grouped):
            members = grouped[stratum]
            take = min(count, len(members))
            for s in rng.sample(members, take):
                text = f"分层随机抽取（{stratum}，{len(members)} 个中抽 {take} 个）"
                picks.append((s, stratum, f"{text}；{reason}" if reason else text))
    elif method == SpotCheck.Method.RISK:
        risk = _risk(rnd, sheets)

        def key(s: ScoreSheet) -> tuple[Any, ...]:
            warned, total = risk[s.branch_id]
            return (-warned, total if total is not None else Decimal("1000"), s.branch.path)

        for s in sorted(sheets, key=key)[:count]:
            warned, total = risk[s.branch_id]
            parts = [f"预警 {warned} 条"]
            parts.append(f"上轮得分 {total}" if total is not None else "无上轮得分")
            text = "风险导向：" + "，".join(parts)
            picks.append((s, "", f"{text}；{reason}" if reason else text))
    elif method == SpotCheck.Method.MANUAL:
        wanted = {int(i) for i in (sheet_ids or [])}
        chosen = [s for s in sheets if s.pk in wanted]
        if not reason:
            raise ValidationError({"reason": "指定选点须填写理由。"})
        if not wanted or len(chosen) != len(wanted):
            raise ValidationError({"sheets": "请选择本轮尚未选点的支部。"})
        picks = [(s, "", f"指定：{reason}") for s in chosen]
    else:
        raise ValidationError({"method": "选点方式无效。"})
    if not picks:
        raise ValidationError("没有可供选点的支部（本轮支部均已选点）。")
    rows = SpotCheck.objects.bulk_create(
        SpotCheck(
            round=rnd,
            sheet=s,
            method=method,
            stratum=stratum[:60],
            reason=text[:300],
            seed=seed_text,
            selected_by=actor if getattr(actor, "pk", None) else None,
        )
        for s, stratum, text in picks
    )
    audit_record(
        "assessment.spot_check_select",
        obj=rnd,
        actor=actor,
        changes={
            "method": method,
            "seed": seed_text,
            "branches": [s.branch_name for s, _, _ in picks],
            "reason": reason,
        },
    )
    return rows


@transaction.atomic
def spot_check_update(
    *,
    actor: Any,
    spot_check_id: int,
    visited_on: dt.date | None,
    findings: str,
    is_model_site: bool,
) -> SpotCheck:
    """Record the visit and findings; mark (or unmark) the branch as a model site (示范点)."""
    _require(actor, SpotCheck, "change", "您没有登记检查情况的权限。")
    row = (
        restrict(SpotCheck.objects.select_related("round", "sheet"), actor, "change")
        .select_for_update(of=("self",))
        .filter(pk=spot_check_id)
        .first()
    )
    if row is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    if row.round.state == State.FINAL:
        raise Locked("考核已定稿，不能再修改检查情况。")
    before = {
        "visited_on": row.visited_on.isoformat() if row.visited_on else None,
        "is_model_site": row.is_model_site,
    }
    row.visited_on = visited_on
    row.findings = (findings or "").strip()[:4000]
    row.is_model_site = bool(is_model_site)
    row.save()
    ScoreSheet.objects.filter(pk=row.sheet_id).update(is_model_site=row.is_model_site)
    audit_record(
        "assessment.spot_check_update",
        obj=row.sheet,
        actor=actor,
        changes={
            "before": before,
            "after": {
                "visited_on": visited_on.isoformat() if visited_on else None,
                "is_model_site": row.is_model_site,
            },
        },
    )
    return row


# --- objections -----------------------------------------------------------------------------


@transaction.atomic
def objection_raise(
    *, actor: Any, sheet_id: int, criterion_ids: Sequence[int], text: str
) -> Objection:
    """A branch disputes criteria of ITS OWN sheet during the notice / objection period."""
    _require(actor, Objection, "add", "您没有提出异议的权限。")
    sheet = ScoreSheet.objects.select_related("round", "branch").filter(pk=sheet_id).first()
    if sheet is None or not may_for_branch(actor, Objection, "add", sheet.branch.path):
        raise PermissionDenied("只能对本支部的考核结果提出异议。")
    rnd = sheet.round
    if rnd.state not in OBJECTION_STATES:
        raise Locked("只能在公示或异议处理阶段提出异议。")
    text = (text or "").strip()
    errors: dict[str, str] = {}
    if not text:
        errors["text"] = "请写明异议内容和理由。"
    wanted = {int(i) for i in criterion_ids or []}
    criteria = list(Criterion.objects.filter(pk__in=wanted, category__scheme=rnd.scheme_id))
    if not wanted:
        errors["criteria"] = "请选择有异议的细则。"
    elif len(criteria) != len(wanted):
        errors["criteria"] = "所选细则不属于本轮考核方案。"
    if errors:
        raise ValidationError(errors)
    obj = Objection.objects.create(
        sheet=sheet,
        text=text[:4000],
        raised_by=actor if getattr(actor, "pk", None) else None,
    )
    obj.criteria.set(criteria)
    audit_record(
        "assessment.objection_raise",
        obj=sheet,
        actor=actor,
        changes={"objection": obj.pk, "criteria": sorted(c.code for c in criteria)},
    )
    return obj


@transaction.atomic
def objection_resolve(*, actor: Any, objection_id: int, upheld: bool, resolution: str) -> Objection:
    """Upheld → only the disputed criteria reopen for scoring; rejected → nothing changes."""
    _require(actor, Objection, "change", "您没有处理异议的权限。")
    found = (
        restrict(Objection.objects.all(), actor, "change")
        .filter(pk=objection_id)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    obj = Objection.objects.select_for_update().select_related("sheet__round").get(pk=found)
    if obj.state != Objection.State.OPEN:
        raise ValidationError("该异议已处理。")
    if obj.sheet.round.state not in OBJECTION_STATES:
        raise Locked("只能在公示或异议处理阶段处理异议。")
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": "请填写处理意见。"})
    criterion_ids = list(obj.criteria.values_list("pk", flat=True))
    reopened = 0
    if upheld:
        reopened = Score.objects.filter(
            Q(sheet=obj.sheet) & Q(criterion_id__in=criterion_ids)
        ).update(reopened=True, version=F("version") + 1)
    obj.state = Objection.State.UPHELD if upheld else Objection.State.REJECTED
    obj.resolution = resolution[:4000]
    obj.resolved_by = actor if getattr(actor, "pk", None) else None
    obj.resolved_at = timezone.now()
    obj.save()
    audit_record(
        "assessment.objection_resolve",
        obj=obj.sheet,
        actor=actor,
        changes={"objection": obj.pk, "upheld": bool(upheld), "reopened": reopened},
        reason=resolution[:300],
    )
    return obj
