"""Reminder rules of the transfers app (discovered by the reminders app):

* ``transfers.steps`` — open transfers waiting for the sending side's approval, the receiving
  side's acceptance or the receipt of a letter (red once the letter's validity has passed);
* ``transfers.lapse`` — the lapse watch (RULES.md "Transfers, lost contact, lapse"): no
  organisational life, or no dues, for ``lapse.warn_months`` (3) consecutive months → yellow to
  the branch secretary (and the member); ``lapse.escalate_months`` (5) → red, so the committee
  is notified too; ``lapse.review_months`` (6) → red "自行脱党" review item for the branch
  meeting and the committee (not addressed to the member). Last activity comes from
  ``member_last_activity("orglife" | "dues", ids)``; a kind nobody provides is skipped. A
  member with no record of that kind at all is counted from the later of joining the Party and
  being entered in the system, so records kept on paper before go-live do not raise alarms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse

from dangjian.core.registries import DueItem, member_last_activity, register_reminder_rule
from dangjian.core.rules import rules
from dangjian.people.models import PARTY_MEMBER_STATUSES, MembershipStatus, Person
from dangjian.transfers.models import Transfer
from dangjian.transfers.services import add_months

KINDS = (("orglife", "参加组织生活"), ("dues", "交纳党费"))


def months_since(since: dt.date, today: dt.date) -> int:
    """Whole months from ``since`` to ``today`` (the largest n with since + n months ≤ today)."""
    n = (today.year - since.year) * 12 + today.month - since.month
    if n > 0 and add_months(since, n) > today:
        n -= 1
    return max(n, 0)


@register_reminder_rule("transfers.lapse")
def lapse_due(today: dt.date) -> Iterable[DueItem]:
    limits = rules("lapse.warn_months", "lapse.escalate_months", "lapse.review_months")
    warn, escalate, review = (
        int(limits["lapse.warn_months"]),
        int(limits["lapse.escalate_months"]),
        int(limits["lapse.review_months"]),
    )
    members = list(
        Person.objects.filter(
            political_status__in=PARTY_MEMBER_STATUSES,
            membership_status__in=[MembershipStatus.NORMAL, MembershipStatus.RESTORED],
        ).values_list("pk", "name", "party_org_id", "joined_party_on", "created_at")
    )
    ids = [row[0] for row in members]
    for kind, label in KINDS:
        last = member_last_activity(kind, ids)
        if last is None:
            continue  # no app provides this kind (yet)
        for pk, name, org_id, joined, created in members:
            baseline = max(d for d in (joined, created.date()) if d is not None)
            since = last.get(pk) or baseline
            months = months_since(since, today)
            if months < warn:
                continue
            url = reverse("people:detail", args=[pk])
            if months >= review:
                yield DueItem(
                    key=f"transfers.lapse:{kind}:{pk}",
                    category="自行脱党审查",
                    title=(
                        f"党员{name}已连续 {months} 个月未{label}（自 {since:%Y-%m-%d}），"
                        "无正当理由的应视为自行脱党，请提交支部大会讨论并报上级党委"
                    ),
                    due_on=add_months(since, review),
                    level="red",
                    org_id=org_id,
                    url=url,
                )
            else:
                yield DueItem(
                    key=f"transfers.lapse:{kind}:{pk}",
                    category="党员失管预警",
                    title=f"党员{name}已连续 {months} 个月未{label}（自 {since:%Y-%m-%d}）",
                    due_on=add_months(since, escalate if months < escalate else review),
                    level="red" if months >= escalate else "yellow",
                    org_id=org_id,
                    person_id=pk,
                    url=url,
                )


@register_reminder_rule("transfers.steps")
def transfer_steps_due(today: dt.date) -> Iterable[DueItem]:
    rows = (
        Transfer.objects.filter(
            status__in=[
                Transfer.Status.PENDING_OUT,
                Transfer.Status.PENDING_IN,
                Transfer.Status.AWAITING_RECEIPT,
            ]
        )
        .select_related("person", "from_org", "to_org")
        .order_by("pk")
    )
    for t in rows:
        url = reverse("transfers:detail", args=[t.pk])
        key = f"transfers.step:{t.pk}:{t.status}"
        requested = t.requested_at.date()
        if t.status == Transfer.Status.PENDING_OUT:
            to = t.to_org.name if t.to_org else t.external_org
            yield DueItem(
                key,
                "组织关系转接",
                f"待审批：{t.person.name}转往{to}",
                requested,
                "info",
                t.from_org_id,
                None,
                url,
            )
        elif t.status == Transfer.Status.PENDING_IN:
            frm = t.from_org.name if t.from_org else t.external_org
            yield DueItem(
                key,
                "组织关系转接",
                f"待接收：{t.person.name}从{frm}转入",
                requested,
                "info",
                t.to_org_id,
                None,
                url,
            )
        else:
            due = t.valid_until or today
            yield DueItem(
                key,
                "组织关系转接",
                f"介绍信{t.letter_no}（{t.person.name}转往{t.external_org}）待回执"
                + ("，已过有效期" if today > due else ""),
                due,
                "red" if today > due else "yellow",
                t.from_org_id,
                None,
                url,
            )
