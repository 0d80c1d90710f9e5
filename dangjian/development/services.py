"""Writes of member development: open a case, complete a step, extend or revoke probation.

Every rule comes from the ``StepRule`` table and ``core.rules`` (never literals here): a step is
refused before its predecessors, before its minimum interval (the message names the earliest
date), after its normal deadline without a recorded reason, after its absolute deadline; a
training step needs its days or hours; the applicant must be old enough at step 1. The person's
political status follows the steps through ``people.services.person_update`` (history and audit
written there) with the acting user, so a user who may not change the person cannot move them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.rules import rules
from dangjian.core.scope import assert_in_scope, has_permission, restrict
from dangjian.development.models import (
    DevelopmentCase,
    IntervalUnit,
    StepDocument,
    StepRecord,
    StepRule,
)
from dangjian.orgs.models import PartyOrg, path_ids
from dangjian.people.models import Person, PoliticalStatus
from dangjian.people.services import person_update

# statuses a person may apply from (an applicant without a case: registered on paper before)
APPLICANT_FROM = (PoliticalStatus.MASSES, PoliticalStatus.LEAGUE_MEMBER, PoliticalStatus.APPLICANT)
MAX_DOCUMENTS_PER_STEP = 10
UPLOAD_DIR = "development"  # PRIVATE_DIR/development: step documents (core.uploads)
UNIT_LABELS = dict(IntervalUnit.choices)


# --- dates and windows ----------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day ``months`` later; the 31st falls back to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_interval(day: dt.date, amount: int, unit: str) -> dt.date:
    if unit == IntervalUnit.DAYS:
        return day + dt.timedelta(days=amount)
    if unit == IntervalUnit.MONTHS:
        return add_months(day, amount)
    return add_months(day, 12 * amount)


def interval_label(amount: int, unit: str) -> str:
    return f"{amount}{UNIT_LABELS.get(unit, unit)}"


@dataclass(frozen=True)
class Window:
    """When a step may be completed, given what is done: ``missing`` predecessors first."""

    rule: StepRule
    missing: tuple[int, ...]
    earliest: dt.date | None
    latest: dt.date | None  # normal deadline: later needs a recorded reason
    hard_latest: dt.date | None  # absolute deadline
    min_reason: str = ""  # why ``earliest`` is what it is, for the message

    @property
    def available(self) -> bool:
        return not self.missing


def step_rules() -> dict[int, StepRule]:
    return {r.number: r for r in StepRule.objects.all()}


def step_window(rule: StepRule, done: dict[int, dt.date], case: DevelopmentCase) -> Window:
    missing = tuple(p for p in rule.predecessors if p not in done)
    before = [done[p] for p in rule.predecessors if p in done]
    earliest = max(before) if before else None
    latest = hard = None
    reason = ""
    anchor = done.get(rule.interval_from) if rule.interval_from else None
    if anchor is not None:
        if rule.min_interval is not None:
            minimum = add_interval(anchor, rule.min_interval, rule.interval_unit)
            span = interval_label(rule.min_interval, rule.interval_unit)
            reason = f"须在步骤{rule.interval_from}完成后满{span}"
            if rule.counts_probation and case.extension_months:
                minimum = add_months(minimum, case.extension_months)
                reason += f"（预备期已延长{case.extension_months}个月）"
            if earliest is None or minimum > earliest:
                earliest = minimum
        if rule.max_interval is not None:
            latest = add_interval(anchor, rule.max_interval, rule.interval_unit)
        if rule.hard_max_interval is not None:
            hard = add_interval(anchor, rule.hard_max_interval, rule.interval_unit)
    return Window(rule, missing, earliest, latest, hard, reason)


def probation_end(
    case: DevelopmentCase, done: dict[int, dt.date], steps: dict[int, StepRule]
) -> dt.date | None:
    """End of the probation (转正日期): the vote + the probation rule + any extension."""
    for rule in steps.values():
        if rule.counts_probation and rule.interval_from and rule.min_interval is not None:
            anchor = done.get(rule.interval_from)
            if anchor is None:
                return None
            end = add_interval(anchor, rule.min_interval, rule.interval_unit)
            return add_months(end, case.extension_months) if case.extension_months else end
    return None


def _done(case: DevelopmentCase) -> dict[int, dt.date]:
    return dict(StepRecord.objects.filter(case=case).values_list("step", "completed_on"))


def next_due(
    case: DevelopmentCase, done: dict[int, dt.date], steps: dict[int, StepRule]
) -> list[Window]:
    """The steps that may be done now (predecessors complete), most urgent first."""
    windows = [
        step_window(rule, done, case)
        for number, rule in sorted(steps.items())
        if number not in done
    ]
    open_windows = [w for w in windows if w.available]
    return sorted(open_windows, key=lambda w: (w.latest or dt.date.max, w.rule.number))


def _refresh_case(
    case: DevelopmentCase, done: dict[int, dt.date], steps: dict[int, StepRule]
) -> None:
    """Keep stage, last step and the next due step with its window on the case row."""
    if done:
        last = max(done)
        case.last_step = last
        case.current_stage = steps[last].stage if last in steps else case.current_stage
    due = next_due(case, done, steps) if case.state == DevelopmentCase.State.ACTIVE else []
    if steps and all(number in done for number in steps):
        case.state = DevelopmentCase.State.COMPLETED
        due = []
    first = due[0] if due else None
    case.next_step = first.rule.number if first else None
    case.next_earliest = first.earliest if first else None
    latest = [w.latest for w in due if w.latest]
    case.next_latest = min(latest) if latest else None


# --- validation -----------------------------------------------------------------------------


def _fmt(day: dt.date) -> str:
    return f"{day:%Y-%m-%d}"


def _check_step(
    *,
    case: DevelopmentCase,
    person: Person,
    rule: StepRule,
    done: dict[int, dt.date],
    steps: dict[int, StepRule],
    completed_on: dt.date,
    started_on: dt.date | None,
    hours: int | None,
    late_reason: str,
    today: dt.date,
) -> Window:
    errors: dict[str, list[str]] = {}

    def fail(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if rule.number in done:
        raise ValidationError(
            {"step": [f"步骤{rule.number}「{rule.name}」已于 {_fmt(done[rule.number])} 完成。"]}
        )
    window = step_window(rule, done, case)
    if window.missing:
        names = "、".join(
            f"步骤{n}「{steps[n].name}」" if n in steps else f"步骤{n}" for n in window.missing
        )
        raise ValidationError({"step": [f"须先完成{names}。"]})
    if completed_on > today:
        fail("completed_on", "完成日期不能晚于今天。")
    if window.earliest and completed_on < window.earliest:
        why = f"（{window.min_reason}）" if window.min_reason else "（不能早于前置步骤的完成日期）"
        fail(
            "completed_on",
            f"步骤{rule.number}「{rule.name}」最早可于 {_fmt(window.earliest)} 办理{why}。",
        )
    if window.hard_latest and completed_on > window.hard_latest:
        fail(
            "completed_on",
            f"步骤{rule.number}「{rule.name}」已超过最长期限 {_fmt(window.hard_latest)}，"
            "不能再办理，请按规定重新履行程序或终止发展。",
        )
    elif window.latest and completed_on > window.latest and not late_reason.strip():
        fail(
            "late_reason",
            f"步骤{rule.number}「{rule.name}」应于 {_fmt(window.latest)} 前办理，"
            "已超期，须填写超期原因。",
        )
    if rule.min_days or rule.min_hours:
        days_ok = bool(
            rule.min_days
            and started_on
            and started_on <= completed_on
            and (completed_on - started_on).days + 1 >= rule.min_days
        )
        hours_ok = bool(rule.min_hours and hours is not None and hours >= rule.min_hours)
        if started_on and started_on > completed_on:
            fail("started_on", "开始日期不能晚于完成日期。")
        elif not (days_ok or hours_ok):
            parts = []
            if rule.min_days:
                parts.append(f"不少于{rule.min_days}天")
            if rule.min_hours:
                parts.append(f"不少于{rule.min_hours}学时")
            fail("hours", f"「{rule.name}」须{'或'.join(parts)}（请填写开始日期或学时）。")
    if rule.min_age_years:
        of_age_on = add_months(person.birth_date, 12 * rule.min_age_years)
        if completed_on < of_age_on:
            fail(
                "completed_on",
                f"申请人须年满{rule.min_age_years}周岁，{_fmt(of_age_on)} 起方可递交入党申请书。",
            )
    if errors:
        raise ValidationError(errors)
    return window


def document_check(upload: UploadedFile) -> tuple[str, str, uploads.FileKind]:
    """Validate one upload (IN-05, core.uploads): size, allow-list, magic bytes.

    -> (display name, content type, kind).
    """
    kind = uploads.validate_upload(upload, field="documents")
    return uploads.safe_name(str(upload.name or ""), "文件"), kind.content_type, kind


def document_dir() -> Path:
    return uploads.storage_dir(UPLOAD_DIR)


def document_path(doc: StepDocument) -> Path:
    return document_dir() / doc.stored_name


# --- writes ---------------------------------------------------------------------------------


def _branch_of(org: PartyOrg) -> PartyOrg:
    """The branch a person's organisation belongs to (itself, or the nearest branch above)."""
    if org.kind == PartyOrg.Kind.BRANCH:
        return org
    ids = path_ids(org.path)
    branch = (
        PartyOrg.objects.filter(pk__in=ids, kind=PartyOrg.Kind.BRANCH).order_by("-depth").first()
    )
    return branch or org


def _locked_case(actor: Any, case_id: int) -> DevelopmentCase:
    case = (
        restrict(DevelopmentCase.objects.select_for_update(), actor, "change")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    return case


def _set_status(actor: Any, person: Person, data: dict[str, Any]) -> None:
    person_update(actor=actor, person=person, data=data, source="development")


def _record_step(
    *,
    actor: Any,
    case: DevelopmentCase,
    person: Person,
    number: int,
    completed_on: dt.date,
    note: str,
    late_reason: str,
    started_on: dt.date | None,
    hours: int | None,
    documents: Sequence[UploadedFile],
    today: dt.date,
) -> StepRecord:
    steps = step_rules()
    rule = steps.get(number)
    if rule is None:
        raise ValidationError({"step": ["步骤不存在（请检查发展党员步骤规则）。"]})
    if case.state != DevelopmentCase.State.ACTIVE:
        raise ValidationError(
            {"step": [f"该发展档案状态为“{case.get_state_display()}”，不能再登记步骤。"]}
        )
    if len(documents) > MAX_DOCUMENTS_PER_STEP:
        raise ValidationError(
            {"documents": [f"每个步骤最多上传 {MAX_DOCUMENTS_PER_STEP} 个文件。"]}
        )
    checked = [(upload, *document_check(upload)) for upload in documents]
    done = _done(case)
    window = _check_step(
        case=case,
        person=person,
        rule=rule,
        done=done,
        steps=steps,
        completed_on=completed_on,
        started_on=started_on,
        hours=hours,
        late_reason=late_reason,
        today=today,
    )
    on_time = not (window.latest and completed_on > window.latest)
    record = StepRecord.objects.create(
        case=case,
        step=number,
        completed_on=completed_on,
        started_on=started_on,
        hours=hours,
        window_earliest=window.earliest,
        window_latest=window.latest,
        on_time=on_time,
        late_reason=late_reason.strip()[:300] if not on_time else "",
        note=note.strip()[:500],
        recorder=actor if getattr(actor, "pk", None) else None,
        recorder_name=str(getattr(actor, "username", ""))[:150],
    )
    done[number] = completed_on
    # political status follows the steps (see defaults.py for the probationary decision)
    if rule.sets_status:
        data: dict[str, Any] = {"political_status": rule.sets_status}
        if rule.sets_status == PoliticalStatus.PROBATIONARY:
            # 入党日期 = the branch meeting's vote, the step the approval's deadline counts from
            anchor = done.get(rule.interval_from) if rule.interval_from else None
            data["joined_party_on"] = anchor or completed_on
        if rule.sets_status == PoliticalStatus.FULL:
            data["regularised_on"] = probation_end(case, done, steps) or completed_on
        _set_status(actor, person, data)
    _refresh_case(case, done, steps)
    case.save()
    written: list[Path] = []
    try:
        for upload, name, content_type, kind in checked:
            stored = uploads.store(upload, kind, subdir=UPLOAD_DIR)
            written.append(document_dir() / stored)
            StepDocument.objects.create(
                record=record,
                original_name=name,
                stored_name=stored,
                content_type=content_type,
                size=upload.size or 0,
            )
        assert_in_scope(case, actor, "change")
        audit_record(
            "development.step",
            obj=case,
            changes={
                "step": number,
                "name": rule.name,
                "completed_on": completed_on.isoformat(),
                "on_time": on_time,
                "late_reason": record.late_reason,
                "documents": [name for _, name, _, _ in checked],
            },
            actor=actor,
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return record


@transaction.atomic
def case_open(
    *,
    actor: Any,
    person_id: int,
    applied_on: dt.date,
    note: str = "",
    documents: Sequence[UploadedFile] = (),
    today: dt.date | None = None,
) -> DevelopmentCase:
    """Record an application (step 1): opens the person's development case."""
    if not has_permission(actor, DevelopmentCase, "add"):
        raise PermissionDenied("您没有登记发展党员的权限。")
    person = (
        restrict(Person.objects.select_for_update(), actor, "change")
        .select_related("party_org")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise ValidationError({"person": ["人员不存在或不在您的数据范围内。"]})
    if DevelopmentCase.objects.filter(person=person, state=DevelopmentCase.State.ACTIVE).exists():
        raise ValidationError({"person": [f"{person.name}已有进行中的发展档案。"]})
    if person.political_status not in APPLICANT_FROM:
        raise ValidationError(
            {
                "person": [
                    f"{person.name}的政治面貌为“{person.get_political_status_display()}”，不能作为入党申请人登记。"
                ]
            }
        )
    case = DevelopmentCase.objects.create(person=person, branch=_branch_of(person.party_org))
    assert_in_scope(case, actor, "add")
    _record_step(
        actor=actor,
        case=case,
        person=person,
        number=1,
        completed_on=applied_on,
        note=note,
        late_reason="",
        started_on=None,
        hours=None,
        documents=documents,
        today=today or timezone.localdate(),
    )
    audit_record(
        "create",
        obj=case,
        changes={"person": person.pk, "applied_on": applied_on.isoformat()},
        actor=actor,
    )
    return case


@transaction.atomic
def step_complete(
    *,
    actor: Any,
    case_id: int,
    step: int,
    completed_on: dt.date,
    note: str = "",
    late_reason: str = "",
    started_on: dt.date | None = None,
    hours: int | None = None,
    documents: Sequence[UploadedFile] = (),
    today: dt.date | None = None,
) -> StepRecord:
    """Complete one step of a case, with the rules of the step table."""
    if not has_permission(actor, StepRecord, "add"):
        raise PermissionDenied("您没有登记发展步骤的权限。")
    case = _locked_case(actor, case_id)
    person = Person.objects.select_for_update().get(pk=case.person_id)
    return _record_step(
        actor=actor,
        case=case,
        person=person,
        number=step,
        completed_on=completed_on,
        note=note,
        late_reason=late_reason,
        started_on=started_on,
        hours=hours,
        documents=documents,
        today=today or timezone.localdate(),
    )


def _probationary(
    case: DevelopmentCase, steps: dict[int, StepRule], done: dict[int, dt.date]
) -> bool:
    """Between the approval that made the person probationary and their regularisation."""
    made = [n for n, r in steps.items() if r.sets_status == PoliticalStatus.PROBATIONARY]
    full = [n for n, r in steps.items() if r.sets_status == PoliticalStatus.FULL]
    return bool(made and made[0] in done and not (full and full[0] in done))


@transaction.atomic
def probation_extend(
    *, actor: Any, case_id: int, months: int, decided_on: dt.date, reason: str
) -> DevelopmentCase:
    """延长预备期: once (rule), by 6-12 months (rules), decided by the branch meeting."""
    case = _locked_case(actor, case_id)
    steps, done = step_rules(), _done(case)
    limits = rules(
        "development.extension_min_months",
        "development.extension_max_months",
        "development.extension_max_count",
    )
    low, high = (
        int(limits["development.extension_min_months"]),
        int(limits["development.extension_max_months"]),
    )
    if case.state != DevelopmentCase.State.ACTIVE or not _probationary(case, steps, done):
        raise ValidationError({"months": ["只有预备期内的预备党员才能延长预备期。"]})
    if case.extension_count >= int(limits["development.extension_max_count"]):
        raise ValidationError(
            {"months": [f"预备期只能延长{limits['development.extension_max_count']}次，已延长过。"]}
        )
    if not low <= months <= high:
        raise ValidationError({"months": [f"延长预备期须为{low}至{high}个月。"]})
    if not reason.strip():
        raise ValidationError({"reason": ["请填写延长原因。"]})
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": ["决定日期不能晚于今天。"]})
    case.extension_count += 1
    case.extension_months = (case.extension_months or 0) + months
    case.extension_decided_on = decided_on
    case.extension_reason = reason.strip()[:300]
    _refresh_case(case, done, steps)
    case.save()
    assert_in_scope(case, actor, "change")
    audit_record(
        "development.extend",
        obj=case,
        changes={"months": months, "decided_on": decided_on.isoformat()},
        reason=reason,
        actor=actor,
    )
    return case


def _close(
    *, actor: Any, case: DevelopmentCase, state: str, decided_on: dt.date, reason: str
) -> DevelopmentCase:
    if not reason.strip():
        raise ValidationError({"reason": ["请填写原因。"]})
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": ["决定日期不能晚于今天。"]})
    case.state = state
    case.closed_on = decided_on
    case.closed_reason = reason.strip()[:300]
    case.next_step = None
    case.next_earliest = case.next_latest = None
    case.save()
    person = Person.objects.select_for_update().get(pk=case.person_id)
    _set_status(
        actor,
        person,
        {
            "political_status": PoliticalStatus.MASSES,
            "joined_party_on": None,
            "regularised_on": None,
        },
    )
    assert_in_scope(case, actor, "change")
    audit_record(
        "development.close",
        obj=case,
        changes={"state": state, "decided_on": decided_on.isoformat()},
        reason=reason,
        actor=actor,
    )
    return case


@transaction.atomic
def probation_revoke(
    *, actor: Any, case_id: int, decided_on: dt.date, reason: str
) -> DevelopmentCase:
    """取消预备党员资格: the person returns to 群众; the case is closed."""
    case = _locked_case(actor, case_id)
    if case.state != DevelopmentCase.State.ACTIVE or not _probationary(
        case, step_rules(), _done(case)
    ):
        raise ValidationError({"reason": ["只有预备期内的预备党员才能取消预备党员资格。"]})
    return _close(
        actor=actor,
        case=case,
        state=DevelopmentCase.State.REVOKED,
        decided_on=decided_on,
        reason=reason,
    )


@transaction.atomic
def case_withdraw(*, actor: Any, case_id: int, decided_on: dt.date, reason: str) -> DevelopmentCase:
    """终止发展 before the person became probationary (after that: revoke the status)."""
    case = _locked_case(actor, case_id)
    steps, done = step_rules(), _done(case)
    made = [n for n, r in steps.items() if r.sets_status == PoliticalStatus.PROBATIONARY]
    if case.state != DevelopmentCase.State.ACTIVE or (made and made[0] in done):
        raise ValidationError({"reason": ["该档案不能终止（预备党员请使用“取消预备党员资格”）。"]})
    return _close(
        actor=actor,
        case=case,
        state=DevelopmentCase.State.WITHDRAWN,
        decided_on=decided_on,
        reason=reason,
    )


# --- the rule table -------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "responsible",
    "documents",
    "predecessors",
    "interval_from",
    "interval_unit",
    "min_interval",
    "max_interval",
    "hard_max_interval",
    "min_days",
    "min_hours",
    "min_age_years",
    "source",
)


def steprule_clean(rule: StepRule, data: dict[str, Any], numbers: Iterable[int]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    known = set(numbers)
    preds = data.get("predecessors", rule.predecessors) or []
    if any(not isinstance(p, int) or p not in known or p >= rule.number for p in preds):
        errors.setdefault("predecessors", []).append("前置步骤须为本步骤之前的步骤编号。")
    frm = data.get("interval_from", rule.interval_from)
    if frm is not None and (frm not in known or frm > rule.number):
        errors.setdefault("interval_from", []).append("间隔起算步骤须为本步骤或之前的步骤。")
    low, high, hard = (
        data.get(k, getattr(rule, k)) for k in ("min_interval", "max_interval", "hard_max_interval")
    )
    if (low is not None or high is not None or hard is not None) and frm is None:
        errors.setdefault("interval_from", []).append("设置间隔时须指定起算步骤。")
    if low is not None and high is not None and low > high:
        errors.setdefault("max_interval", []).append("最长间隔不能小于最短间隔。")
    if high is not None and hard is not None and hard < high:
        errors.setdefault("hard_max_interval", []).append("绝对期限不能小于最长间隔。")
    if data.get("interval_unit", rule.interval_unit) not in IntervalUnit.values:
        errors.setdefault("interval_unit", []).append("间隔单位不在代码表中。")
    if not str(data.get("name", rule.name)).strip():
        errors.setdefault("name", []).append("此项为必填项。")
    if errors:
        raise ValidationError(errors)
    return {k: v for k, v in data.items() if k in RULE_FIELDS}


@transaction.atomic
def steprule_update(*, actor: Any, rule_id: int, data: dict[str, Any]) -> StepRule:
    """Edit one step rule (committee / organisation department); active cases are refreshed."""
    if not has_permission(actor, StepRule, "change"):
        raise PermissionDenied("您没有修改发展党员步骤规则的权限。")
    rule = StepRule.objects.select_for_update().filter(pk=rule_id).first()
    if rule is None:
        raise ValidationError({"__all__": ["步骤规则不存在。"]})
    numbers = StepRule.objects.values_list("number", flat=True)
    cleaned = steprule_clean(rule, data, numbers)
    before = {k: getattr(rule, k) for k in cleaned}
    for key, value in cleaned.items():
        setattr(rule, key, value)
    rule.save()
    changes = {k: [before[k], v] for k, v in cleaned.items() if before[k] != v}
    if changes:
        audit_record("update", obj=rule, changes=changes, actor=actor)
        cases_refresh()
    return rule


def cases_refresh(batch_size: int = 1000) -> int:
    """Recompute the next due step of every active case (after a rule edit); returns the count."""
    steps = step_rules()
    count = 0
    last_pk = 0
    while True:
        batch = list(
            DevelopmentCase.objects.filter(
                state=DevelopmentCase.State.ACTIVE, pk__gt=last_pk
            ).order_by("pk")[:batch_size]
        )
        if not batch:
            return count
        done: dict[int, dict[int, dt.date]] = {case.pk: {} for case in batch}
        for case_id, number, day in StepRecord.objects.filter(case__in=batch).values_list(
            "case_id", "step", "completed_on"
        ):
            done[case_id][number] = day
        for case in batch:
            _refresh_case(case, done[case.pk], steps)
        DevelopmentCase.objects.bulk_update(
            batch,
            ["state", "current_stage", "last_step", "next_step", "next_earliest", "next_latest"],
        )
        count += len(batch)
        last_pk = batch[-1].pk
