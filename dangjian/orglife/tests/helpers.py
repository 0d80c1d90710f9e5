"""Shared helpers for the orglife tests: members, meetings driven through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dangjian.core.scope import SYSTEM
from dangjian.core.testing import person_data
from dangjian.orglife import services
from dangjian.orglife.models import Meeting, MeetingAttendance, MeetingType
from dangjian.orglife.rules import seed_meeting_types
from dangjian.people.services import person_create


def types() -> dict[str, MeetingType]:
    seed_meeting_types(MeetingType)
    return {t.code: t for t in MeetingType.objects.all()}


def add_members(mine: Any, count: int, *, status: str = "full", start: int = 100) -> list[Any]:
    people = []
    for seq in range(start, start + count):
        people.append(
            person_create(
                actor=SYSTEM,
                data=person_data(
                    mine,
                    seq=seq,
                    name=f"党员{seq}",
                    political_status=status,
                    regularised_on=None if status == "probationary" else dt.date(2011, 7, 1),
                ),
            )
        )
    return people


def at(day: dt.date, hour: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def schedule(
    mine: Any, code: str, day: dt.date, *, org: Any = None, actor: Any = None, **kw: Any
) -> Meeting:
    return services.meeting_schedule(
        actor=actor or SYSTEM,
        org=org or mine.branch_a,
        meeting_type=types()[code],
        title=kw.pop("title", f"{code} {day}"),
        planned_at=at(day),
        **kw,
    )


def hold(
    mine: Any,
    code: str,
    day: dt.date,
    *,
    org: Any = None,
    present: list[int] | None = None,
    invitees: list[int] | None = None,
    archive: bool = False,
    **kw: Any,
) -> Meeting:
    """A meeting taken through notice → sign-in → minutes with ``present`` checked in
    (everyone invited when ``present`` is None)."""
    meeting = schedule(mine, code, day, org=org, **kw)
    meeting = services.meeting_notify(actor=SYSTEM, meeting=meeting, invitee_ids=invitees)
    meeting = services.meeting_open_signin(actor=SYSTEM, meeting=meeting)
    rows = MeetingAttendance.objects.filter(meeting=meeting)
    ids = [r.person_id for r in rows] if present is None else present
    for person_id in ids:
        services.attendance_mark(
            actor=SYSTEM, meeting=meeting, person_id=person_id, status="present"
        )
    meeting = services.meeting_record_minutes(
        actor=SYSTEM, meeting=meeting, topic="议题", content="内容"
    )
    if archive:
        meeting = services.meeting_archive(actor=SYSTEM, meeting=meeting)
    return meeting
