"""Reminder rule: branches with members in arrears for at least N months (rule
``dues.arrears_reminder_months``); one due item per organisation and month (stable key)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Min
from django.urls import reverse

from dangjian.core.registries import DueItem, register_reminder_rule
from dangjian.core.rules import rule
from dangjian.dues.models import DuesBill, month_index


@register_reminder_rule("dues.arrears")
def arrears_reminders(today: dt.date) -> Iterable[DueItem]:
    months = max(int(rule("dues.arrears_reminder_months")), 1)
    current = month_index(today.year, today.month)
    # per member: unpaid months that have ended; members with >= N of them, per organisation
    per_person = (
        DuesBill.objects.filter(status=DuesBill.Status.UNPAID, month_index__lt=current)
        .values("party_org_id", "person_id")
        .annotate(n=Count("pk"), first=Min("month_index"))
        .filter(n__gte=months)
        .order_by()
    )
    orgs: dict[int, list[int]] = {}
    for row in per_person:
        orgs.setdefault(row["party_org_id"], []).append(row["n"])
    url = reverse("dues:arrears")
    for org_id, counts in sorted(orgs.items()):
        worst = max(counts)
        yield DueItem(
            key=f"dues.arrears:{org_id}:{today:%Y-%m}",
            category="dues",
            title=f"党费欠缴：{len(counts)} 名党员欠缴{months}个月及以上（最长 {worst} 个月）",
            due_on=today,
            level="red" if worst >= 3 else "yellow",
            org_id=org_id,
            url=f"{url}?org={org_id}",
        )
