"""Reminder rules for the to-do centre: required meetings due soon / overdue, silent branches.

One ``DueItem`` per organisation, meeting type and period (stable keys, so running the job
twice creates nothing new); the organisation's secretaries are notified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.urls import reverse

from dangjian.core.registries import DueItem, register_reminder_rule
from dangjian.orglife.selectors.compliance import active_orgs, compliance


def _period_key(kind: str, start: dt.date) -> str:
    return f"{kind}:{start:%Y-%m-%d}"


@register_reminder_rule("orglife.meetings")
def meeting_reminders(today: dt.date) -> Iterator[DueItem]:
    url = reverse("orglife:compliance")
    for item in compliance(active_orgs(), today=today):
        for slot in item.slots:
            if slot.status not in ("due_soon", "missing"):
                continue
            overdue = slot.status == "missing"
            yield DueItem(
                key=f"orglife.meeting_{'overdue' if overdue else 'due'}:{item.org_id}:"
                f"{slot.meeting_type.code}:{_period_key(slot.period.kind, slot.period.start)}",
                category="orglife",
                title=f"{item.name}：{slot.period.label}{slot.meeting_type.name}"
                + ("逾期未开" if overdue else "即将到期，尚未召开"),
                due_on=slot.period.end,
                level="red" if overdue else "yellow",
                org_id=item.org_id,
                url=url,
            )
        if item.silent:
            since = f"{item.last_activity:%Y-%m-%d}" if item.last_activity else "从未开展"
            yield DueItem(
                key=f"orglife.silent:{item.org_id}:{item.last_activity or 'never'}",
                category="orglife",
                title=f"{item.name}：已超过规定天数未开展组织生活（最近一次：{since}）",
                due_on=today,
                level="yellow",
                org_id=item.org_id,
                url=url,
            )
