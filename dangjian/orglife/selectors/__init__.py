"""Reads of organisational life, always through the scope filter."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Max, QuerySet

from dangjian.core.periods import Period
from dangjian.core.registries import register_member_activity
from dangjian.core.scope import has_permission, restrict
from dangjian.orglife.models import (
    COUNTING_STATES,
    Meeting,
    MeetingAttendance,
    MeetingFile,
    MeetingType,
)
from dangjian.orgs.models import PartyOrg


def meeting_list(
    *,
    user: Any,
    action: str = "view",
    org: PartyOrg | None = None,
    meeting_type: str = "",
    state: str = "",
    period: Period | None = None,
    q: str = "",
) -> QuerySet[Meeting]:
    qs = restrict(Meeting.objects.select_related("org", "meeting_type"), user, action)
    if org is not None:
        qs = qs.filter(org__path__startswith=org.path)
    if meeting_type:
        qs = qs.filter(meeting_type__code=meeting_type)
    if state:
        qs = qs.filter(state=state)
    if period is not None:
        qs = qs.filter(held_on__gte=period.start, held_on__lte=period.end)
    if q:
        qs = qs.filter(title__contains=q.strip())
    return qs


def meeting_get(*, user: Any, pk: int, action: str = "view") -> Meeting | None:
    return meeting_list(user=user, action=action).filter(pk=pk).first()


def meeting_upcoming(*, user: Any, today: dt.date, days: int = 60) -> QuerySet[Meeting]:
    return meeting_list(user=user).filter(
        held_on__gte=today,
        held_on__lte=today + dt.timedelta(days=days),
        state__in=(Meeting.State.PLAN, Meeting.State.NOTICE, Meeting.State.SIGNIN),
    )


def meeting_attendances(*, user: Any, meeting: Meeting) -> QuerySet[MeetingAttendance]:
    return restrict(
        MeetingAttendance.objects.filter(meeting=meeting).select_related("person"), user, "view"
    ).order_by("person__employee_no", "pk")


def meeting_files(*, user: Any, meeting: Meeting) -> QuerySet[MeetingFile]:
    return restrict(MeetingFile.objects.filter(meeting=meeting), user, "view")


def meeting_file_get(*, user: Any, meeting_pk: int, pk: int) -> MeetingFile | None:
    return (
        restrict(MeetingFile.objects.select_related("meeting"), user, "view")
        .filter(meeting_id=meeting_pk, pk=pk)
        .first()
    )


def meeting_types(*, user: Any) -> QuerySet[MeetingType]:
    """The rule table (not on the tree): visible to anyone allowed to view meeting types."""
    if not has_permission(user, MeetingType, "view"):
        return MeetingType.objects.none()
    return MeetingType.objects.all()


def schedulable_orgs(*, user: Any) -> QuerySet[PartyOrg]:
    """Active branches, groups and committees in scope where the user may plan meetings."""
    if not has_permission(user, Meeting, "add"):
        return PartyOrg.objects.none()
    return restrict(PartyOrg.objects.all(), user, "view").filter(
        kind__in=(PartyOrg.Kind.BRANCH, PartyOrg.Kind.GROUP, PartyOrg.Kind.COMMITTEE),
        dissolved_on__isnull=True,
    )


@register_member_activity("orglife")
def last_meeting_attended(person_ids: list[int]) -> dict[int, dt.date]:
    """Last organisational life each person attended (present at a held meeting)."""
    rows = (
        MeetingAttendance.objects.filter(
            person_id__in=person_ids,
            status=MeetingAttendance.Status.PRESENT,
            meeting__state__in=COUNTING_STATES,
        )
        .values("person_id")
        .annotate(last=Max("meeting__held_on"))
    )
    return {row["person_id"]: row["last"] for row in rows}
