"""Writes of organisational life: schedule, notify, sign-in, attendance, minutes, archive.

Every service takes keyword-only arguments, validates, runs in one transaction, re-checks the
scope of what it wrote (AC-04) and records an audit event. The workflow is a state machine:
plan → notice → sign-in → minutes → archive; any other transition is refused with a message.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.periods import Period
from dangjian.core.rules import rule
from dangjian.core.scope import SYSTEM, assert_in_scope, has_permission, restrict
from dangjian.orglife.models import (
    Meeting,
    MeetingAttendance,
    MeetingFile,
    MeetingType,
    Quorum,
)
from dangjian.orgs.models import PartyOrg
from dangjian.people.models import PARTY_MEMBER_STATUSES, MembershipStatus, Person, PoliticalStatus

State = Meeting.State
TRANSITIONS: dict[str, tuple[str, ...]] = {
    State.PLAN: (State.NOTICE,),
    State.NOTICE: (State.SIGNIN,),
    State.SIGNIN: (State.MINUTES,),
    State.MINUTES: (State.ARCHIVED,),
    State.ARCHIVED: (),
}
UPLOAD_DIR = "orglife"  # PRIVATE_DIR/orglife: minutes photos and attachments
SIGNIN_SALT = "dangjian.orglife.signin"
VOTING_STATUSES = (MembershipStatus.NORMAL, MembershipStatus.RESTORED)


class SigninError(Exception):
    """A sign-in link or check-in that must be refused; ``message`` is shown to the member."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _transition(meeting: Meeting, target: str) -> None:
    if target not in TRANSITIONS.get(meeting.state, ()):
        current = State(meeting.state).label
        wanted = State(target).label
        raise ValidationError(f"会议当前状态为“{current}”，不能转为“{wanted}”。")


def _locked(meeting: Meeting, actor: Any) -> Meeting:
    """Re-read the meeting for update inside the transaction, within the actor's scope."""
    qs = restrict(Meeting.objects.all(), actor, "change").filter(pk=meeting.pk)
    current = Meeting.objects.select_for_update().filter(pk__in=qs.values("pk")).first()
    if current is None:
        raise PermissionDenied("该操作超出您的数据权限范围。")
    return current


def meeting_period(meeting_type: MeetingType, day: dt.date) -> Period:
    return Period.containing(day, meeting_type.frequency)


def quorum_result(
    meeting_type: MeetingType, attendances: list[MeetingAttendance]
) -> tuple[bool | None, int, int]:
    """(quorate, present counted, base) under the type's rule; None when no rule applies.

    The rule is "more than ``quorum_share`` of the base": exactly half is not enough.
    """
    if meeting_type.quorum == Quorum.NONE:
        return None, 0, 0
    if meeting_type.quorum == Quorum.VOTING_MEMBERS:
        base_rows = [a for a in attendances if a.is_voting]
    else:
        base_rows = list(attendances)
    base = len(base_rows)
    present = sum(1 for a in base_rows if a.status == MeetingAttendance.Status.PRESENT)
    share = Decimal(meeting_type.quorum_share)
    return (base > 0 and Decimal(present) > share * base), present, base


# --- schedule -------------------------------------------------------------------------------


@transaction.atomic
def meeting_schedule(
    *,
    actor: Any,
    org: PartyOrg,
    meeting_type: MeetingType,
    title: str,
    planned_at: dt.datetime,
    location: str = "",
    host: str = "",
    period_date: dt.date | None = None,
) -> Meeting:
    """Plan a meeting of ``org``; it counts for the period containing ``period_date``
    (default: the meeting's own date; an earlier period makes it a late make-up)."""
    errors: dict[str, list[str]] = {}
    if not restrict(PartyOrg.objects.filter(pk=org.pk), actor, "view").exists():
        raise PermissionDenied("该操作超出您的数据权限范围。")
    if not meeting_type.applies(org.kind, org.has_committee):
        errors.setdefault("meeting_type", []).append(
            f"“{meeting_type.name}”不适用于{org.get_kind_display()}“{org.name}”。"
        )
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append("请填写会议名称。")
    held_on = (
        timezone.localtime(planned_at).date()
        if timezone.is_aware(planned_at)
        else planned_at.date()
    )
    period = meeting_period(meeting_type, period_date or held_on)
    if period.start > held_on:
        errors.setdefault("period_date", []).append("计入周期不能晚于会议召开日期。")
    if errors:
        raise ValidationError(errors)
    meeting = Meeting.objects.create(
        org=org,
        meeting_type=meeting_type,
        title=title[:120],
        planned_at=planned_at,
        held_on=held_on,
        period_start=period.start,
        period_end=period.end,
        location=location.strip()[:120],
        host=host.strip()[:40],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    assert_in_scope(meeting, actor, "add")
    audit_record(
        "create",
        obj=meeting,
        actor=actor,
        changes={
            "org": org.name,
            "meeting_type": meeting_type.code,
            "planned_at": planned_at.isoformat(),
            "period": period.label,
        },
    )
    return meeting


def org_member_queryset(org: PartyOrg) -> Any:
    """The people a meeting of ``org`` may invite: a group's members, a branch's subtree,
    or those attached directly to a committee."""
    base = Person.objects.filter(is_employed=True)
    if org.kind == PartyOrg.Kind.GROUP:
        return base.filter(party_group=org)
    if org.kind == PartyOrg.Kind.COMMITTEE:
        return base.filter(party_org=org)
    return base.filter(party_org__path__startswith=org.path)


def default_invitees(meeting: Meeting) -> Any:
    """Party members of the meeting's organisation (the default notice list)."""
    return (
        org_member_queryset(meeting.org)
        .filter(political_status__in=PARTY_MEMBER_STATUSES)
        .exclude(
            membership_status__in=(
                MembershipStatus.EXPELLED,
                MembershipStatus.QUIT,
                MembershipStatus.DECEASED,
            )
        )
    )


@transaction.atomic
def meeting_notify(
    *, actor: Any, meeting: Meeting, invitee_ids: list[int] | None = None
) -> Meeting:
    """Send the notice: store the invitee list (one attendance row per person).

    A committee meeting (quorum counted over invitees) needs the committee members chosen
    explicitly; other meetings default to every Party member of the organisation.
    """
    current = _locked(meeting, actor)
    _transition(current, State.NOTICE)
    allowed = org_member_queryset(current.org)
    if invitee_ids is None:
        if current.meeting_type.quorum == Quorum.INVITEES:
            raise ValidationError({"invitees": "支部委员会会议须选择参会的支部委员。"})
        people = list(default_invitees(current).only("pk", "political_status", "membership_status"))
    else:
        ids = sorted(set(invitee_ids))
        people = list(
            allowed.filter(pk__in=ids).only("pk", "political_status", "membership_status")
        )
        if len(people) != len(ids):
            raise ValidationError({"invitees": "参会人员须是本组织的人员。"})
    if not people:
        raise ValidationError({"invitees": "没有可通知的参会人员。"})
    MeetingAttendance.objects.bulk_create(
        [
            MeetingAttendance(
                meeting=current,
                person_id=p.pk,
                is_voting=p.political_status == PoliticalStatus.FULL
                and p.membership_status in VOTING_STATUSES,
            )
            for p in people
        ]
    )
    current.state = State.NOTICE
    current.invited_count = len(people)
    current.version += 1
    current.save(update_fields=["state", "invited_count", "version", "updated_at"])
    assert_in_scope(current, actor, "change")
    audit_record("orglife_notice", obj=current, actor=actor, changes={"invitees": len(people)})
    return current


@transaction.atomic
def meeting_open_signin(*, actor: Any, meeting: Meeting) -> Meeting:
    current = _locked(meeting, actor)
    _transition(current, State.SIGNIN)
    current.state = State.SIGNIN
    current.signin_nonce = secrets.token_hex(8)
    current.signin_opened_at = timezone.now()
    current.version += 1
    current.save(
        update_fields=["state", "signin_nonce", "signin_opened_at", "version", "updated_at"]
    )
    audit_record("orglife_signin_open", obj=current, actor=actor)
    return current


# --- sign-in by QR code ----------------------------------------------------------------------


def signin_token(meeting: Meeting) -> str:
    """A signed token naming the meeting and its current sign-in session (the QR code URL)."""
    if meeting.state != State.SIGNIN or not meeting.signin_nonce:
        raise ValidationError("会议尚未开始签到。")
    return signing.dumps({"m": meeting.pk, "n": meeting.signin_nonce}, salt=SIGNIN_SALT)


def signin_resolve(token: str) -> Meeting:
    """The meeting a token names, if it is genuine, unexpired and sign-in is still open."""
    max_age = dt.timedelta(hours=float(rule("orglife.signin_token_hours")))
    try:
        data = signing.loads(token, salt=SIGNIN_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise SigninError("签到二维码已过期，请向会议组织者索取新的二维码。", 410) from exc
    except signing.BadSignature as exc:
        raise SigninError("签到二维码无效。", 404) from exc
    if not isinstance(data, dict):
        raise SigninError("签到二维码无效。", 404)
    meeting_id = data.get("m")
    if not isinstance(meeting_id, int):
        raise SigninError("签到二维码无效。", 404)
    meeting = Meeting.objects.select_related("org", "meeting_type").filter(pk=meeting_id).first()
    if meeting is None or meeting.signin_nonce != data.get("n"):
        raise SigninError("签到二维码无效或已失效。", 404)
    if meeting.state != State.SIGNIN:
        raise SigninError("本次会议的签到已结束。", 410)
    return meeting


def _own_attendance(meeting: Meeting, user: Any) -> MeetingAttendance:
    user_id = getattr(user, "pk", None)
    if user_id is None:
        raise SigninError("您不在本次会议的参会名单中，不能签到。", 403)
    person_id = Person.objects.filter(user_id=user_id).values_list("pk", flat=True).first()
    attendance = (
        MeetingAttendance.objects.select_for_update()
        .filter(meeting=meeting, person_id=person_id)
        .first()
        if person_id
        else None
    )
    if attendance is None:
        raise SigninError("您不在本次会议的参会名单中，不能签到。", 403)
    return attendance


@transaction.atomic
def meeting_check_in(*, actor: Any, token: str) -> tuple[MeetingAttendance, bool]:
    """The logged-in invitee checks in with the QR token; (attendance, newly checked in).

    Checking in twice changes nothing (idempotent).
    """
    meeting = signin_resolve(token)
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    attendance = _own_attendance(meeting, actor)
    if attendance.status == MeetingAttendance.Status.PRESENT:
        return attendance, False
    attendance.status = MeetingAttendance.Status.PRESENT
    attendance.method = MeetingAttendance.Method.QR
    attendance.reason = ""
    attendance.checked_in_at = timezone.now()
    attendance.save(update_fields=["status", "method", "reason", "checked_in_at"])
    Meeting.objects.filter(pk=meeting.pk).update(present_count=_present(meeting))
    audit_record(
        "orglife_checkin",
        obj=meeting,
        actor=actor,
        changes={"person": attendance.person_id, "method": "qr"},
    )
    return attendance, True


def _present(meeting: Meeting) -> int:
    return MeetingAttendance.objects.filter(
        meeting=meeting, status=MeetingAttendance.Status.PRESENT
    ).count()


@transaction.atomic
def attendance_mark(
    *, actor: Any, meeting: Meeting, person_id: int, status: str, reason: str = ""
) -> MeetingAttendance:
    """The secretary records one invitee as present, absent or on leave (with a reason)."""
    current = _locked(meeting, actor)
    if current.state not in (State.NOTICE, State.SIGNIN, State.MINUTES):
        raise ValidationError("只有已通知、签到中或记录纪要阶段的会议可以登记出席情况。")
    if not has_permission(actor, MeetingAttendance, "change"):
        raise PermissionDenied("您没有登记出席情况的权限。")
    if status not in MeetingAttendance.Status.values or status == MeetingAttendance.Status.INVITED:
        raise ValidationError({"status": "出席情况取值无效。"})
    reason = (reason or "").strip()[:200]
    if status in (MeetingAttendance.Status.ABSENT, MeetingAttendance.Status.LEAVE) and not reason:
        raise ValidationError({"reason": "缺席或请假须填写事由。"})
    attendance = (
        MeetingAttendance.objects.select_for_update()
        .filter(meeting=current, person_id=person_id)
        .first()
    )
    if attendance is None:
        raise ValidationError({"person": "该人员不在本次会议的参会名单中。"})
    before = attendance.status
    attendance.status = status
    attendance.reason = "" if status == MeetingAttendance.Status.PRESENT else reason
    if status == MeetingAttendance.Status.PRESENT:
        attendance.method = attendance.method or MeetingAttendance.Method.SECRETARY
        attendance.checked_in_at = attendance.checked_in_at or timezone.now()
    else:
        attendance.method = MeetingAttendance.Method.NONE
        attendance.checked_in_at = None
    attendance.save(update_fields=["status", "reason", "method", "checked_in_at"])
    current.present_count = _present(current)
    if current.state == State.MINUTES:
        rows = list(MeetingAttendance.objects.filter(meeting=current))
        current.quorate = quorum_result(current.meeting_type, rows)[0]
    current.version += 1
    current.save(update_fields=["present_count", "quorate", "version", "updated_at"])
    audit_record(
        "orglife_attendance",
        obj=current,
        actor=actor,
        changes={"person": person_id, "status": [before, status], "reason": attendance.reason},
    )
    return attendance


# --- minutes and archive --------------------------------------------------------------------


@transaction.atomic
def meeting_record_minutes(
    *,
    actor: Any,
    meeting: Meeting,
    topic: str,
    content: str,
    resolutions: str = "",
    speakers: str = "",
) -> Meeting:
    """Close sign-in and record the minutes; invitees who did not sign in become absent.

    The quorum is decided here from the attendance and the type's rule: a meeting below
    quorum is recorded with ``quorate=False`` and does not count toward compliance.
    """
    current = _locked(meeting, actor)
    errors: dict[str, list[str]] = {}
    if not (topic or "").strip():
        errors["topic"] = ["请填写会议议题。"]
    if not (content or "").strip():
        errors["content"] = ["请填写会议内容。"]
    if current.state == State.MINUTES:  # correcting the minutes before archiving
        pass
    else:
        _transition(current, State.MINUTES)
    if errors:
        raise ValidationError(errors)
    MeetingAttendance.objects.filter(
        meeting=current, status=MeetingAttendance.Status.INVITED
    ).update(status=MeetingAttendance.Status.ABSENT, reason="未签到")
    rows = list(MeetingAttendance.objects.filter(meeting=current))
    quorate, present, base = quorum_result(current.meeting_type, rows)
    current.state = State.MINUTES
    current.topic = topic.strip()[:200]
    current.content = content.strip()
    current.resolutions = (resolutions or "").strip()
    current.speakers = (speakers or "").strip()[:300]
    current.quorate = quorate
    current.present_count = sum(1 for r in rows if r.status == MeetingAttendance.Status.PRESENT)
    current.version += 1
    current.save()
    assert_in_scope(current, actor, "change")
    audit_record(
        "orglife_minutes",
        obj=current,
        actor=actor,
        changes={"topic": current.topic, "quorate": quorate, "present": present, "base": base},
    )
    return current


@transaction.atomic
def meeting_archive(*, actor: Any, meeting: Meeting) -> Meeting:
    current = _locked(meeting, actor)
    _transition(current, State.ARCHIVED)
    current.state = State.ARCHIVED
    current.version += 1
    current.save(update_fields=["state", "version", "updated_at"])
    audit_record("orglife_archive", obj=current, actor=actor)
    return current


@transaction.atomic
def meeting_attach(*, actor: Any, meeting: Meeting, upload: Any, kind: str) -> MeetingFile:
    """Add a photo or attachment to the minutes (type by magic bytes, size-limited)."""
    current = _locked(meeting, actor)
    if not has_permission(actor, MeetingFile, "add"):
        raise PermissionDenied("您没有上传会议附件的权限。")
    if current.state not in (State.SIGNIN, State.MINUTES):
        raise ValidationError("只能在签到或记录纪要阶段上传照片和附件。")
    if kind not in MeetingFile.Kind.values:
        raise ValidationError({"kind": "附件类别无效。"})
    file_kind = uploads.validate_upload(upload, images_only=kind == MeetingFile.Kind.PHOTO)
    stored = uploads.store(upload, file_kind, subdir=UPLOAD_DIR)
    try:
        record = MeetingFile.objects.create(
            meeting=current,
            kind=kind,
            original_name=uploads.safe_name(upload.name),
            stored_name=stored,
            content_type=file_kind.content_type,
            size=int(upload.size),
            uploaded_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            "orglife_upload",
            obj=current,
            actor=actor,
            changes={"file": record.original_name, "kind": kind, "size": record.size},
        )
    except Exception:
        uploads.remove(stored, subdir=UPLOAD_DIR)
        raise
    return record


# --- rule table -----------------------------------------------------------------------------

TYPE_FIELDS = (
    "name",
    "frequency",
    "applies_to",
    "requires_committee",
    "required",
    "quorum",
    "quorum_share",
    "source",
    "note",
)


@transaction.atomic
def meeting_type_update(
    *, actor: Any, meeting_type: MeetingType, data: dict[str, Any]
) -> MeetingType:
    """Edit a meeting-type rule (committee / organisation-department users only)."""
    if actor is not SYSTEM and not has_permission(actor, MeetingType, "change"):
        raise PermissionDenied("您没有修改会议规则的权限。")
    current = MeetingType.objects.select_for_update().get(pk=meeting_type.pk)
    errors: dict[str, list[str]] = {}
    kinds = set(data.get("applies_to", current.applies_to))
    if not kinds or not kinds <= {"committee", "general_branch", "branch", "group"}:
        errors["applies_to"] = ["请选择适用的组织类型。"]
    share = Decimal(str(data.get("quorum_share", current.quorum_share)))
    if not Decimal("0") < share < Decimal("1"):
        errors["quorum_share"] = ["比例须大于 0 且小于 1。"]
    if errors:
        raise ValidationError(errors)
    changes: dict[str, Any] = {}
    for field in TYPE_FIELDS:
        if field in data and data[field] != getattr(current, field):
            changes[field] = [str(getattr(current, field)), str(data[field])]
            setattr(current, field, data[field])
    if changes:
        current.version += 1
        current.save()
        audit_record("update", obj=current, actor=actor, changes=changes)
    return current


def active_q() -> Q:
    return Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=timezone.localdate())
