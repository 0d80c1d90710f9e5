"""Reminder rule of the orgs app: branch committee terms expiring (yellow within
``org.term_reminder_days``) or expired (red), from the org rule checks (``org_warnings``).

Discovered by the reminders app (``autodiscover_modules("reminders")``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from dangjian.core.registries import DueItem, org_warnings, register_reminder_rule
from dangjian.orgs.models import PartyOrg

TERM_CODES = ("term_expired", "term_expiring")


@register_reminder_rule("orgs.term")
def term_due(today: dt.date) -> Iterable[DueItem]:
    active: dict[int, dt.date] = {
        pk: ends
        for pk, ends in PartyOrg.objects.filter(
            dissolved_on__isnull=True, term_ends_on__isnull=False
        ).values_list("pk", "term_ends_on")
        if ends is not None
    }
    names = dict(PartyOrg.objects.filter(pk__in=list(active)).values_list("pk", "name"))
    for org_id, warnings in org_warnings(list(active)).items():
        for warning in warnings:
            if warning.code not in TERM_CODES:
                continue
            ends = active[org_id]
            yield DueItem(
                key=f"orgs.term:{org_id}:{ends.isoformat()}",
                category="换届",
                title=f"{names.get(org_id, '')}：{warning.message}",
                due_on=ends,
                level=warning.level,
                org_id=org_id,
                url=reverse("orgs:detail", args=[org_id]),
            )
