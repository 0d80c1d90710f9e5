"""Writes of one branch's sheet: the self-check, self-scores, scores and attachments.

Optimistic locking: each SelfCheck and Score carries ``version``; a write based on another
version raises ``StaleVersion`` (nothing is saved), so two scorers on one criterion never
overwrite each other silently, while two scorers on different criteria never conflict (each
Score row has its own version). ``Locked`` when the round's state does not allow the write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.assessment.errors import Locked, StaleVersion
from dangjian.assessment.models import (
    AssessmentRound,
    DeductionItem,
    EvidenceMethod,
    Score,
    ScoreAttachment,
    ScoringMethod,
    SelfCheck,
)
from dangjian.assessment.services.rounds import can_score, may_for_branch, score_open
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.scope import assert_in_scope, has_permission, restrict

State = AssessmentRound.State
UPLOAD_DIR = "assessment"
TWO = Decimal("0.01")
MAX_LINKS = 50
MAX_ATTACHMENTS = 20
SELF_CHECK_FIELDS = ("practices", "highlights", "problems", "plans")
SELF_CHECK_LABELS = {
    "practices": "主要做法",
    "highlights": "特色亮点",
    "problems": "存在问题",
    "plans": "下步打算",
}


def _dec(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value)).quantize(TWO)
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: "请输入数字。"}) from exc
    if not number.is_finite():
        raise ValidationError({field: "请输入数字。"})
    return number


def _in_range(value: Decimal | None, maximum: Decimal, field: str) -> None:
    if value is not None and not (Decimal("0") <= value <= maximum):
        raise ValidationError({field: f"分值须在 0 至 {maximum} 之间。"})


# --- self-check -----------------------------------------------------------------------------


def _locked_self_check(actor: Any, sheet_id: int) -> SelfCheck:
    if not has_permission(actor, SelfCheck, "change"):
        raise PermissionDenied("您没有填写支部自查的权限。")
    found = (
        restrict(SelfCheck.objects.all(), actor, "change")
        .filter(sheet_id=sheet_id)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise PermissionDenied("只能填写本支部的自查。")
    check = SelfCheck.objects.select_for_update().select_related("sheet__round").get(pk=found)
    if check.sheet.round.state != State.SELF_CHECK:
        raise Locked("只能在“支部自查”阶段填写自查。")
    if check.submitted_at is not None:
        raise Locked("自查已提交，不能再修改。")
    return check


@transaction.atomic
def self_check_save(
    *,
    actor: Any,
    sheet_id: int,
    version: int,
    practices: str,
    highlights: str,
    problems: str,
    plans: str,
) -> SelfCheck:
    """Save the self-check report (主要做法, 特色亮点, 存在问题, 下步打算)."""
    check = _locked_self_check(actor, sheet_id)
    if int(version) != check.version:
        raise StaleVersion(check.version)
    values = {"practices": practices, "highlights": highlights, "problems": problems}
    values["plans"] = plans
    changed: list[str] = []
    for field, value in values.items():
        text = (value or "").strip()
        if len(text) > 8000:
            raise ValidationError({field: "内容不能超过 8000 字。"})
        if getattr(check, field) != text:
            setattr(check, field, text)
            changed.append(field)
    check.version += 1
    check.save()
    audit_record(
        "assessment.self_check_save", obj=check.sheet, actor=actor, changes={"fields": changed}
    )
    return check


@transaction.atomic
def self_check_submit(*, actor: Any, sheet_id: int) -> SelfCheck:
    """Submit the self-check: the four parts of the report must be written."""
    check = _locked_self_check(actor, sheet_id)
    labels = {f: SELF_CHECK_LABELS[f] for f in SELF_CHECK_FIELDS}
    missing = [labels[f] for f in SELF_CHECK_FIELDS if not getattr(check, f).strip()]
    if missing:
        raise ValidationError(f"请先填写：{'、'.join(missing)}。")
    check.submitted_at = timezone.now()
    check.submitted_by = actor if getattr(actor, "pk", None) else None
    check.version += 1
    check.save()
    self_scored = Score.objects.filter(sheet_id=sheet_id, self_points__isnull=False).count()
    audit_record(
        "assessment.self_check_submit",
        obj=check.sheet,
        actor=actor,
        changes={"self_scored": self_scored},
    )
    return check


def _self_score_target(actor: Any, score_id: int) -> Score:
    found = (
        restrict(Score.objects.all(), actor, "view")
        .filter(pk=score_id)
        .values_list("sheet_id", flat=True)
        .first()
    )
    if found is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    _locked_self_check(actor, found)
    return Score.objects.select_for_update().select_related("criterion").get(pk=score_id)


@transaction.atomic
def self_score_save(*, actor: Any, score_id: int, version: int, points: Any, note: str) -> Score:
    """The branch's own score of one criterion, with a note (attachments separately)."""
    score = _self_score_target(actor, score_id)
    if int(version) != score.version:
        raise StaleVersion(score.version)
    value = _dec(points, "self_points")
    _in_range(value, score.criterion.max_points, "self_points")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"self_note": "说明不能超过 2000 字。"})
    before = str(score.self_points) if score.self_points is not None else None
    score.self_points = value
    score.self_note = note
    score.version += 1
    score.save(update_fields=["self_points", "self_note", "version"])
    audit_record(
        "assessment.self_score",
        obj=score.sheet,
        actor=actor,
        changes={
            "criterion": score.criterion.code,
            "self_points": [before, str(value) if value is not None else None],
        },
    )
    return score


# --- scoring --------------------------------------------------------------------------------


def _deduction_total(
    criterion_id: int, deductions: Iterable[Any]
) -> tuple[list[dict[str, int]], Decimal]:
    items = {d.pk: d for d in DeductionItem.objects.filter(criterion_id=criterion_id)}
    cleaned: list[dict[str, int]] = []
    total = Decimal("0")
    for row in deductions:
        try:
            item_id, times = int(row["item"]), int(row["times"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError({"deductions": "扣分明细格式无效。"}) from exc
        if item_id not in items:
            raise ValidationError({"deductions": "扣分情形不属于该细则。"})
        if times < 0 or times > 1000:
            raise ValidationError({"deductions": "扣分次数须在 0 至 1000 之间。"})
        if times:
            cleaned.append({"item": item_id, "times": times})
            total += items[item_id].points * times
    return cleaned, total


def _record_links(links: Iterable[Any]) -> list[list[Any]]:
    cleaned: list[list[Any]] = []
    for link in links:
        try:
            label, pk = str(link[0]), int(link[1])
            apps.get_model(label)
        except (LookupError, TypeError, ValueError, IndexError) as exc:
            raise ValidationError({"record_links": "关联记录格式无效。"}) from exc
        if [label, pk] not in cleaned:
            cleaned.append([label, pk])
    if len(cleaned) > MAX_LINKS:
        raise ValidationError({"record_links": f"关联记录最多 {MAX_LINKS} 条。"})
    return cleaned


def _count_points(score: Score, count: int) -> Decimal:
    from dangjian.assessment.formulas import points_from_value
    from dangjian.assessment.services.engine import COUNT_DEFAULT_FORMULA

    crit = score.criterion
    return points_from_value(crit.formula or COUNT_DEFAULT_FORMULA, count, crit.max_points)


def _snapshot(score: Score) -> dict[str, Any]:
    return {
        "points": str(score.points) if score.points is not None else None,
        "computed_points": (
            str(score.computed_points) if score.computed_points is not None else None
        ),
        "deductions": score.deductions,
        "count_value": score.count_value,
        "vetoed": score.vetoed,
        "reason": score.reason,
    }


@transaction.atomic
def score_save(
    *,
    actor: Any,
    score_id: int,
    version: int,
    points: Any = None,
    deductions: Sequence[Any] | None = None,
    count_value: Any = None,
    reason: str = "",
    override_reason: str = "",
    evidence_methods: Iterable[str] = (),
    evidence_note: str = "",
    record_links: Iterable[Any] = (),
    vetoed: bool = False,
) -> Score:
    """Score one criterion of one sheet (the scorer's judgement with its evidence)."""
    if not has_permission(actor, Score, "change"):
        raise PermissionDenied("您没有评分的权限。")
    found = (
        restrict(Score.objects.all(), actor, "change")
        .filter(pk=score_id)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    score = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion__category", "sheet__round")
        .get(pk=found)
    )
    if not can_score(actor, score):
        raise PermissionDenied("该细则不在您的评分分工之内。")
    rnd = score.sheet.round
    if not score_open(rnd, score):
        if rnd.state == State.FINAL:
            raise Locked("考核已定稿，得分已锁定。")
        raise Locked(f"当前阶段为“{State(rnd.state).label}”，不能评分。")
    if int(version) != score.version:
        raise StaleVersion(score.version)
    crit = score.criterion
    before = _snapshot(score)
    value = _dec(points, "points")
    _in_range(value, crit.max_points, "points")
    reason = (reason or "").strip()
    override_reason = (override_reason or "").strip()
    computed: Decimal | None = score.computed_points
    if crit.method == ScoringMethod.DEDUCTION:
        cleaned, total = _deduction_total(crit.pk, deductions or [])
        score.deductions = cleaned
        computed = max(Decimal("0"), crit.max_points - total).quantize(TWO)
        score.computed_points = computed
    elif crit.method == ScoringMethod.COUNT:
        count = None if count_value in (None, "") else count_value
        try:
            number = None if count is None else int(count)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"count_value": "请输入整数。"}) from exc
        if number is None or number < 0:
            raise ValidationError({"count_value": "请输入次数（不小于 0 的整数）。"})
        score.count_value = number
        computed = _count_points(score, number)
        score.computed_points = computed
    effective = value if value is not None else computed
    if crit.method == ScoringMethod.MANUAL and value is None:
        raise ValidationError({"points": "请填写得分。"})
    if crit.method in (ScoringMethod.INDICATOR, ScoringMethod.SURVEY) and effective is None:
        raise ValidationError({"points": "尚无系统计算得分，请填写得分并说明理由。"})
    if (
        value is not None
        and computed is not None
        and value != computed
        and (crit.method != ScoringMethod.MANUAL)
    ):
        if not override_reason:
            raise ValidationError(
                {"override_reason": f"得分与系统计算得分（{computed}）不同，须写明改动理由。"}
            )
    else:
        override_reason = ""
    if effective is not None:
        deducted = effective < crit.max_points and not crit.is_bonus
        awarded = crit.is_bonus and effective > 0
        if (deducted or awarded) and not reason:
            raise ValidationError(
                {"reason": "加分须写明理由。" if awarded else "扣分须写明扣分理由。"}
            )
    if vetoed and not crit.is_veto:
        raise ValidationError({"vetoed": "该细则不是一票否决项。"})
    if vetoed and not reason:
        raise ValidationError({"reason": "触发一票否决须写明理由。"})
    methods = [m for m in dict.fromkeys(evidence_methods) if m]
    if any(m not in EvidenceMethod.values for m in methods):
        raise ValidationError({"evidence_methods": "考核方式无效。"})
    if len(reason) > 2000 or len(override_reason) > 2000 or len(evidence_note or "") > 2000:
        raise ValidationError({"reason": "理由和说明不能超过 2000 字。"})
    score.points = value
    score.reason = reason
    score.override_reason = override_reason
    score.evidence_methods = methods
    score.evidence_note = (evidence_note or "").strip()
    score.record_links = _record_links(record_links)
    score.vetoed = bool(vetoed)
    score.scored_by = actor if getattr(actor, "pk", None) else None
    score.scored_at = timezone.now()
    score.version += 1
    score.save()
    after = _snapshot(score)
    changes: dict[str, Any] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    changes["criterion"] = crit.code
    audit_record("assessment.score", obj=score.sheet, actor=actor, changes=changes, reason=reason)
    if override_reason:
        audit_record(
            "assessment.score_override",
            obj=score.sheet,
            actor=actor,
            changes={
                "criterion": crit.code,
                "computed_points": str(computed),
                "before": before["points"],
                "after": str(value),
            },
            reason=override_reason[:300],
        )
    return score


# --- attachments ----------------------------------------------------------------------------


@transaction.atomic
def attachment_add(*, actor: Any, score_id: int, upload: Any) -> ScoreAttachment:
    """A supporting file: the branch's (during self-check) or a scorer's (while scoring)."""
    if not has_permission(actor, ScoreAttachment, "add"):
        raise PermissionDenied("您没有上传佐证材料的权限。")
    score = (
        restrict(
            Score.objects.select_related("sheet__round", "sheet__branch", "criterion__category"),
            actor,
            "view",
        )
        .filter(pk=score_id)
        .first()
    )
    if score is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    rnd = score.sheet.round
    by_branch = False
    if rnd.state == State.SELF_CHECK and may_for_branch(
        actor, SelfCheck, "change", score.sheet.branch.path
    ):
        _locked_self_check(actor, score.sheet_id)
        by_branch = True
    elif not (can_score(actor, score) and score_open(rnd, score)):
        raise Locked("当前阶段不能为该细则上传佐证材料。")
    if ScoreAttachment.objects.filter(score=score).count() >= MAX_ATTACHMENTS:
        raise ValidationError({"file": f"每条细则最多 {MAX_ATTACHMENTS} 个佐证材料。"})
    kind = uploads.validate_upload(upload, allowed=("jpg", "jpeg", "png", "pdf", "docx", "xlsx"))
    stored = uploads.store(upload, kind, subdir=UPLOAD_DIR)
    try:
        row = ScoreAttachment(
            score=score,
            original_name=uploads.safe_name(upload.name),
            size=int(upload.size),
            by_branch=by_branch,
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        row.file.name = stored
        row.save()
        assert_in_scope(row, actor, "view")
        audit_record(
            "assessment.attachment_add",
            obj=score.sheet,
            actor=actor,
            changes={
                "criterion": score.criterion.code,
                "file": row.original_name,
                "size": row.size,
                "by_branch": by_branch,
            },
        )
    except BaseException:
        uploads.remove(stored, subdir=UPLOAD_DIR)
        raise
    return row
