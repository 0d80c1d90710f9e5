"""Term-of-office rule checks (RULES.md "Organisations": term of office, reminder before expiry).

Registered with ``register_org_check`` from ``OrgsConfig.ready``; one query for any number of
organisations. Yellow within ``org.term_reminder_days`` days of the term's end, red once expired.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.core.registries import OrgWarning, register_org_check
from dangjian.core.rules import rule
from dangjian.orgs.models import PartyOrg


@register_org_check
def term_warnings(org_ids: list[int]) -> dict[int, list[OrgWarning]]:
    rows = [
        (pk, ends)
        for pk, ends in PartyOrg.objects.filter(
            pk__in=org_ids, term_ends_on__isnull=False, dissolved_on__isnull=True
        ).values_list("pk", "term_ends_on")
        if ends is not None
    ]
    if not rows:
        return {}
    today = timezone.localdate()
    reminder = dt.timedelta(days=int(rule("org.term_reminder_days")))
    result: dict[int, list[OrgWarning]] = {}
    for pk, ends in rows:
        if ends < today:
            result[pk] = [
                OrgWarning("red", "term_expired", f"任期已于 {ends:%Y-%m-%d} 届满，应及时换届")
            ]
        elif ends - today <= reminder:
            days = (ends - today).days
            result[pk] = [
                OrgWarning(
                    "yellow",
                    "term_expiring",
                    f"任期将于 {ends:%Y-%m-%d} 届满（还有 {days} 天），请做好换届准备",
                )
            ]
    return result
