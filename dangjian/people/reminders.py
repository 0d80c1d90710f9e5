"""Reminder rule of the people app: lost-contact members (失联). Yellow when marked lost, red
once lost for ``people.lost_contact_months`` months (RULES.md: lost contact ≥ 6 months must be
handled by the branch). The branch secretaries are notified (org) and the record is linked.

Discovered by the reminders app (``autodiscover_modules("reminders")``).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from dangjian.core.registries import DueItem, register_reminder_rule
from dangjian.core.rules import rule
from dangjian.people.models import PARTY_MEMBER_STATUSES, Person


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the last day of a shorter month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


@register_reminder_rule("people.lost_contact")
def lost_contact_due(today: dt.date) -> Iterable[DueItem]:
    months = int(rule("people.lost_contact_months"))
    rows = Person.objects.filter(
        lost_contact=True, political_status__in=PARTY_MEMBER_STATUSES
    ).values_list("pk", "name", "party_org_id", "lost_contact_on")
    for pk, name, org_id, since in rows:
        since = since or today
        limit = add_months(since, months)
        yield DueItem(
            key=f"people.lost_contact:{pk}",
            category="失联党员",
            title=(
                f"党员{name}自 {since:%Y-%m-%d} 失联已满 {months} 个月，请按规定处理"
                if today >= limit
                else f"党员{name}自 {since:%Y-%m-%d} 失联，请尽快联系"
            ),
            due_on=limit,
            level="red" if today >= limit else "yellow",
            org_id=org_id,
            url=reverse("people:detail", args=[pk]),
        )
