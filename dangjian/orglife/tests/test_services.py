"""Rules at their boundaries, workflow transitions and QR sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.audit.models import AuditEvent
from dangjian.core.scope import SYSTEM
from dangjian.orglife import services
from dangjian.orglife.models import Meeting, MeetingAttendance, MeetingType
from dangjian.orglife.tests.helpers import add_members, hold, schedule, types

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 5, 20)


def test_default_meeting_types_carry_rules_md_frequencies_and_sources(mine):
    t = types()
    assert t["branch_general"].frequency == "quarter"
    assert t["branch_general"].quorum == "voting_members"
    assert t["branch_committee"].frequency == "month" and t["branch_committee"].requires_committee
    assert t["group_meeting"].frequency == "month" and t["group_meeting"].applies_to == ["group"]
    assert t["party_lecture"].frequency == "quarter"
    assert t["theme_day"].frequency == "month"
    for code in ("org_life_meeting", "member_appraisal", "heart_talk"):
        assert t[code].frequency == "year"
    assert all(mt.source for mt in t.values())


@pytest.mark.parametrize(
    ("voting", "present", "quorate"),
    [(4, 2, False), (4, 3, True), (5, 2, False), (5, 3, True), (1, 1, True), (2, 1, False)],
)
def test_general_meeting_quorum_is_more_than_half_of_voting_members(mine, voting, present, quorate):
    members = add_members(mine, voting - 1)  # plus member_a, a full member of branch A
    ids = [mine.member_a.pk, *[p.pk for p in members]]
    meeting = hold(mine, "branch_general", DAY, present=ids[:present], invitees=ids)
    assert meeting.quorate is quorate
    assert meeting.counts is quorate


def test_probationary_members_have_no_vote(mine):
    full = add_members(mine, 3)  # 4 full with member_a
    probationary = add_members(mine, 3, status="probationary", start=200)
    invitees = [mine.member_a.pk, *[p.pk for p in full + probationary]]
    # 2 of 4 voting + all 3 probationary present: 5 of 7 people, but exactly half the votes
    present = [mine.member_a.pk, full[0].pk, *[p.pk for p in probationary]]
    meeting = hold(mine, "branch_general", DAY, present=present, invitees=invitees)
    assert meeting.quorate is False
    voting = MeetingAttendance.objects.filter(meeting=meeting, is_voting=True).count()
    assert voting == 4


@pytest.mark.parametrize(
    ("invited", "present", "quorate"), [(4, 2, False), (4, 3, True), (3, 2, True)]
)
def test_committee_quorum_is_more_than_half_of_committee_members(mine, invited, present, quorate):
    mine.branch_a.has_committee = True
    mine.branch_a.save(update_fields=["has_committee"])
    members = add_members(mine, invited - 1)
    ids = [mine.member_a.pk, *[p.pk for p in members]]
    meeting = hold(mine, "branch_committee", DAY, invitees=ids, present=ids[:present])
    assert meeting.quorate is quorate


def test_committee_meeting_needs_its_members_chosen_and_a_committee(mine):
    with pytest.raises(ValidationError) as exc:
        schedule(mine, "branch_committee", DAY)
    assert "不适用" in str(exc.value)
    mine.branch_a.has_committee = True
    mine.branch_a.save(update_fields=["has_committee"])
    meeting = schedule(mine, "branch_committee", DAY)
    with pytest.raises(ValidationError, match="支部委员"):
        services.meeting_notify(actor=SYSTEM, meeting=meeting)


def test_group_meeting_only_for_groups_and_invites_the_group(mine):
    with pytest.raises(ValidationError):
        schedule(mine, "group_meeting", DAY)
    meeting = schedule(mine, "group_meeting", DAY, org=mine.group_a1)
    meeting = services.meeting_notify(actor=SYSTEM, meeting=meeting)
    invited = set(
        MeetingAttendance.objects.filter(meeting=meeting).values_list("person_id", flat=True)
    )
    assert invited == {mine.member_a.pk}  # masses_a is not a member; member_b is in branch B


def test_notice_goes_to_the_branch_members_only(mine):
    extra = add_members(mine, 2)
    meeting = services.meeting_notify(actor=SYSTEM, meeting=schedule(mine, "theme_day", DAY))
    invited = set(
        MeetingAttendance.objects.filter(meeting=meeting).values_list("person_id", flat=True)
    )
    assert invited == {mine.member_a.pk, *[p.pk for p in extra]}
    assert meeting.invited_count == 3
    other = schedule(mine, "theme_day", DAY)
    with pytest.raises(ValidationError, match="本组织"):
        services.meeting_notify(actor=SYSTEM, meeting=other, invitee_ids=[mine.member_b.pk])


def test_workflow_refuses_wrong_transitions_with_a_message(mine):
    meeting = schedule(mine, "theme_day", DAY)
    with pytest.raises(ValidationError, match="不能转为“签到中”"):
        services.meeting_open_signin(actor=SYSTEM, meeting=meeting)
    with pytest.raises(ValidationError, match="不能转为“已归档”"):
        services.meeting_archive(actor=SYSTEM, meeting=meeting)
    with pytest.raises(ValidationError):
        services.meeting_record_minutes(actor=SYSTEM, meeting=meeting, topic="t", content="c")
    meeting = services.meeting_notify(actor=SYSTEM, meeting=meeting)
    with pytest.raises(ValidationError):
        services.meeting_notify(actor=SYSTEM, meeting=meeting)
    meeting = services.meeting_open_signin(actor=SYSTEM, meeting=meeting)
    meeting = services.meeting_record_minutes(actor=SYSTEM, meeting=meeting, topic="t", content="c")
    meeting = services.meeting_archive(actor=SYSTEM, meeting=meeting)
    assert meeting.state == Meeting.State.ARCHIVED
    with pytest.raises(ValidationError):
        services.attendance_mark(
            actor=SYSTEM, meeting=meeting, person_id=mine.member_a.pk, status="present"
        )
    events = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"orglife_notice", "orglife_minutes", "orglife_archive"} <= events


def test_minutes_mark_the_unsigned_absent_and_absences_need_reasons(mine):
    extra = add_members(mine, 1)
    meeting = schedule(mine, "theme_day", DAY)
    meeting = services.meeting_notify(actor=SYSTEM, meeting=meeting)
    meeting = services.meeting_open_signin(actor=SYSTEM, meeting=meeting)
    with pytest.raises(ValidationError, match="事由"):
        services.attendance_mark(
            actor=SYSTEM, meeting=meeting, person_id=extra[0].pk, status="leave"
        )
    services.attendance_mark(
        actor=SYSTEM, meeting=meeting, person_id=extra[0].pk, status="leave", reason="井下当班"
    )
    meeting = services.meeting_record_minutes(actor=SYSTEM, meeting=meeting, topic="t", content="c")
    rows = dict(
        MeetingAttendance.objects.filter(meeting=meeting).values_list("person_id", "status")
    )
    assert rows == {mine.member_a.pk: "absent", extra[0].pk: "leave"}


def test_branch_secretary_cannot_schedule_for_another_branch(mine):
    with pytest.raises(PermissionDenied):
        schedule(mine, "theme_day", DAY, org=mine.branch_b, actor=mine.users["secretary_a"])


# --- QR sign-in -----------------------------------------------------------------------------


def _open(mine, **kw):
    meeting = schedule(mine, "theme_day", DAY, **kw)
    meeting = services.meeting_notify(actor=SYSTEM, meeting=meeting)
    return services.meeting_open_signin(actor=SYSTEM, meeting=meeting)


def _member_a_user(mine):
    from dangjian.accounts.models import User

    user = User.objects.create(username="member_a_user")
    mine.member_a.user = user
    mine.member_a.save(update_fields=["user"])
    return user


def test_check_in_with_the_token_once(mine):
    user = _member_a_user(mine)
    meeting = _open(mine)
    token = services.signin_token(meeting)
    attendance, created = services.meeting_check_in(actor=user, token=token)
    assert created and attendance.status == "present" and attendance.method == "qr"
    first = attendance.checked_in_at
    again, created = services.meeting_check_in(actor=user, token=token)
    assert not created and again.checked_in_at == first
    assert Meeting.objects.get(pk=meeting.pk).present_count == 1


def test_forged_expired_closed_and_uninvited_tokens_are_refused(mine):
    user = _member_a_user(mine)
    with time_machine.travel(dt.datetime(2026, 5, 20, 14, 0, tzinfo=dt.UTC), tick=False):
        meeting = _open(mine)
        token = services.signin_token(meeting)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with time_machine.travel(dt.datetime(2026, 5, 20, 15, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(services.SigninError) as exc:
            services.meeting_check_in(actor=user, token=forged)
        assert exc.value.status == 404
        # member_b is not invited to a branch A meeting
        with pytest.raises(services.SigninError) as exc:
            services.meeting_check_in(actor=mine.users["member_b"], token=token)
        assert exc.value.status == 403
    # 4 hours (rule orglife.signin_token_hours) and one second later: expired
    with time_machine.travel(dt.datetime(2026, 5, 20, 18, 0, 1, tzinfo=dt.UTC), tick=False):
        with pytest.raises(services.SigninError) as exc:
            services.meeting_check_in(actor=user, token=token)
        assert exc.value.status == 410
    with time_machine.travel(dt.datetime(2026, 5, 20, 17, 59, 59, tzinfo=dt.UTC), tick=False):
        services.meeting_record_minutes(actor=SYSTEM, meeting=meeting, topic="t", content="c")
        with pytest.raises(services.SigninError, match="签到已结束"):
            services.meeting_check_in(actor=user, token=token)
    assert not MeetingAttendance.objects.filter(status="present").exists()


def test_a_token_of_an_earlier_sign_in_session_is_refused(mine):
    user = _member_a_user(mine)
    meeting = _open(mine)
    token = services.signin_token(meeting)
    Meeting.objects.filter(pk=meeting.pk).update(signin_nonce="0" * 16)
    with pytest.raises(services.SigninError):
        services.meeting_check_in(actor=user, token=token)


def test_meeting_type_rule_is_editable_by_committee_only(mine):
    mt = types()["theme_day"]
    with pytest.raises(PermissionDenied):
        services.meeting_type_update(
            actor=mine.users["secretary_a"], meeting_type=mt, data={"frequency": "quarter"}
        )
    services.meeting_type_update(
        actor=mine.users["zuzhi"], meeting_type=mt, data={"frequency": "quarter"}
    )
    assert MeetingType.objects.get(pk=mt.pk).frequency == "quarter"
    with pytest.raises(ValidationError):
        services.meeting_type_update(
            actor=mine.users["shuji"], meeting_type=mt, data={"quorum_share": 1}
        )
