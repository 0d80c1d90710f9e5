"""The reminders engine: run every registered rule, upsert reminders, notify, resolve.

``reminders_refresh(today)`` is run by the periodic job (``dangjian reminders`` from cron, or
the django-tasks task ``refresh_task``). It is idempotent: reminders are keyed by
``DueItem.key``, notifications are unique per (reminder, user).

Decisions (docs/decisions.md "Reminders"):

* A reminder whose level rises (info → yellow → red) notifies again: existing notifications are
  marked unread and re-dated, and new recipients (the committee, for red) get one. A lower level
  or a changed due date updates the reminder silently.
* A reminder no longer produced by its rule is resolved (``resolved_at``); if the rule produces
  it again later it reopens and notifies again. Reminders of a rule that raised an error are left
  as they were (a broken rule must not clear everybody's to-do list).
* Recipients: for ``org_id``, active users holding a branch secretary or party-affairs worker
  role at that organisation or an ancestor up to (and including) its branch; for red items also
  the committee roles (committee leader, organisation-department staff) at an ancestor; for
  ``person_id``, the person's own account. The three administrators are never recipients.

Set-based: the number of queries does not depend on the number of items (keys are looked up in
chunks of ``CHUNK`` so that SQLite's parameter limit is respected).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.audit.services import audit_record
from dangjian.core.registries import DueItem, reminder_rules
from dangjian.core.scope import restrict
from dangjian.reminders.models import LEVEL_RANK, Notification, Reminder

logger = logging.getLogger("dangjian.reminders")

CHUNK = 5000
SECRETARY_ROLES = ("branch_secretary", "party_affairs_worker")
COMMITTEE_ROLES = ("committee_leader", "org_dept_staff")
FIELDS = ("rule", "category", "title", "due_on", "level", "org_id", "person_id", "url")


@dataclass
class RefreshResult:
    produced: int = 0
    created: int = 0
    updated: int = 0
    escalated: int = 0
    reopened: int = 0
    resolved: int = 0
    notified: int = 0
    failed_rules: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"提醒 {self.produced} 条：新增 {self.created}，更新 {self.updated}，"
            f"升级 {self.escalated}，重新打开 {self.reopened}，解除 {self.resolved}；"
            f"发送通知 {self.notified} 条"
        )
        if self.failed_rules:
            text += f"；出错的规则：{', '.join(self.failed_rules)}"
        return text


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def collect_items(today: dt.date) -> tuple[dict[str, tuple[str, DueItem]], list[str], list[str]]:
    """Run every rule: ``({key: (rule, item)}, rules that ran, rules that failed)``."""
    items: dict[str, tuple[str, DueItem]] = {}
    ran: list[str] = []
    failed: list[str] = []
    for name, func in sorted(reminder_rules().items()):
        try:
            produced = list(func(today))
        except Exception:
            logger.exception("reminder rule %s failed", name)
            failed.append(name)
            continue
        ran.append(name)
        for item in produced:
            items[item.key] = (name, item)
    return items, ran, failed


def _values(rule: str, item: DueItem) -> dict[str, Any]:
    return {
        "rule": rule,
        "category": item.category[:40],
        "title": item.title[:300],
        "due_on": item.due_on,
        "level": item.level if item.level in LEVEL_RANK else "info",
        "org_id": item.org_id,
        "person_id": item.person_id,
        "url": item.url[:300],
    }


def reminders_refresh(today: dt.date | None = None) -> RefreshResult:
    """Bring the reminders in line with what the rules produce today (idempotent)."""
    today = today or timezone.localdate()
    items, ran, failed = collect_items(today)
    result = RefreshResult(produced=len(items), failed_rules=failed)
    now = timezone.now()
    with transaction.atomic():
        keys = list(items)
        existing: dict[str, Reminder] = {}
        for chunk in _chunks(keys):
            for reminder in Reminder.objects.filter(key__in=chunk):
                existing[reminder.key] = reminder
        created: list[Reminder] = []
        changed: list[Reminder] = []
        notify: list[Reminder] = []  # new, reopened or escalated
        escalated_ids: list[int] = []
        for key, (rule, item) in items.items():
            values = _values(rule, item)
            current = existing.get(key)
            if current is None:
                created.append(Reminder(key=key, first_seen=now, last_seen=now, **values))
                continue
            reopened = current.resolved_at is not None
            rises = LEVEL_RANK[values["level"]] > LEVEL_RANK.get(current.level, 0)
            differs = any(getattr(current, name) != values[name] for name in FIELDS)
            if not (reopened or differs):
                continue
            for name, value in values.items():
                setattr(current, name, value)
            current.resolved_at = None
            current.last_seen = now
            changed.append(current)
            if reopened:
                result.reopened += 1
                notify.append(current)
                escalated_ids.append(current.pk)
            elif rises:
                result.escalated += 1
                notify.append(current)
                escalated_ids.append(current.pk)
            else:
                result.updated += 1
        if created:
            Reminder.objects.bulk_create(created)
            if any(r.pk is None for r in created):  # backends without RETURNING
                ids: dict[str, int] = {}
                for chunk in _chunks([r.key for r in created]):
                    ids.update(Reminder.objects.filter(key__in=chunk).values_list("key", "pk"))
                for reminder in created:
                    reminder.pk = ids[reminder.key]
            result.created = len(created)
            notify.extend(created)
        if changed:
            Reminder.objects.bulk_update(
                changed, [*(f for f in FIELDS), "resolved_at", "last_seen"]
            )
        # still produced, nothing changed: only confirm they were seen
        untouched = [k for k in keys if k in existing and existing[k].last_seen != now]
        for chunk in _chunks(untouched):
            Reminder.objects.filter(key__in=chunk).update(last_seen=now)
        if ran:
            result.resolved = Reminder.objects.filter(
                rule__in=ran, resolved_at__isnull=True, last_seen__lt=now
            ).update(resolved_at=now)
        for chunk in _chunks(escalated_ids):
            Notification.objects.filter(reminder_id__in=chunk).update(read_at=None, created_at=now)
        result.notified = _notify(notify, now)
        if result.created or result.escalated or result.reopened or result.resolved:
            audit_record(
                "reminders_refresh",
                obj=("reminders.reminder", "", "提醒计算"),
                changes={
                    "created": result.created,
                    "escalated": result.escalated,
                    "reopened": result.reopened,
                    "resolved": result.resolved,
                    "failed_rules": failed,
                },
            )
    return result


# --- recipients -------------------------------------------------------------------------------


def _path_prefixes(path: str) -> list[str]:
    """Ancestor-or-self paths of a materialised path, root first."""
    return [path[: i + 1] for i, ch in enumerate(path) if ch == "."]


def recipients_for(reminders: list[Reminder]) -> dict[int, set[int]]:
    """User ids to notify per reminder id; a fixed number of queries for any number of items."""
    from dangjian.accounts.models import RoleAssignment
    from dangjian.orgs.models import PartyOrg
    from dangjian.people.models import Person

    result: dict[int, set[int]] = {r.pk: set() for r in reminders}
    if not reminders:
        return result
    org_ids = sorted({r.org_id for r in reminders if r.org_id})
    person_ids = sorted({r.person_id for r in reminders if r.person_id})
    org_paths: dict[int, str] = {}
    for chunk in _chunks(org_ids):
        org_paths.update(PartyOrg.objects.filter(pk__in=chunk).values_list("pk", "path"))
    # kinds of every organisation on those paths (to stop at the branch)
    ancestor_ids = sorted(
        {
            int(p.rstrip(".").rsplit(".", 1)[-1], 16)
            for path in org_paths.values()
            for p in _path_prefixes(path)
        }
    )
    kinds: dict[str, str] = {}
    for chunk in _chunks(ancestor_ids):
        kinds.update(PartyOrg.objects.filter(pk__in=chunk).values_list("path", "kind"))
    secretaries: dict[str, set[int]] = {}
    committee: dict[str, set[int]] = {}
    committee_everywhere: set[int] = set()
    assignments = RoleAssignment.objects.filter(
        role__code__in=(*SECRETARY_ROLES, *COMMITTEE_ROLES),
        user__is_active=True,
        user__admin_role="",
    ).values_list("user_id", "role__code", "party_org__path")
    for user_id, code, path in assignments:
        if code in SECRETARY_ROLES:
            if path:
                secretaries.setdefault(path, set()).add(user_id)
        elif path:
            committee.setdefault(path, set()).add(user_id)
        else:
            committee_everywhere.add(user_id)
    person_users: dict[int, int] = {}
    for chunk in _chunks(person_ids):
        person_users.update(
            Person.objects.filter(
                pk__in=chunk, user__isnull=False, user__is_active=True, user__admin_role=""
            ).values_list("pk", "user_id")
        )
    for reminder in reminders:
        users = result[reminder.pk]
        path = org_paths.get(reminder.org_id or 0, "")
        if path:
            chain = _path_prefixes(path)
            # from the organisation upwards, up to and including the nearest branch
            for prefix in reversed(chain):
                users |= secretaries.get(prefix, set())
                if kinds.get(prefix) == PartyOrg.Kind.BRANCH:
                    break
            if reminder.level == Reminder.Level.RED:
                users |= committee_everywhere
                for prefix in chain:
                    users |= committee.get(prefix, set())
        if reminder.person_id and reminder.person_id in person_users:
            users.add(person_users[reminder.person_id])
    return result


def _notify(reminders: list[Reminder], now: dt.datetime) -> int:
    if not reminders:
        return 0
    rows = [
        Notification(reminder_id=reminder_id, user_id=user_id, created_at=now)
        for reminder_id, users in recipients_for(reminders).items()
        for user_id in sorted(users)
    ]
    before = Notification.objects.filter(created_at=now).count()
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return Notification.objects.filter(created_at=now).count() - before


# --- user actions -------------------------------------------------------------------------------


def notification_mark_read(*, actor: Any, notification_id: int | None = None) -> int:
    """Mark one (or, with ``None``, every) unread notification of ``actor`` as read."""
    with transaction.atomic():
        qs = restrict(Notification.objects.all(), actor, "view").filter(
            user_id=actor.pk, read_at__isnull=True
        )
        if notification_id is not None:
            qs = qs.filter(pk=notification_id)
        count = Notification.objects.filter(pk__in=list(qs.values_list("pk", flat=True))).update(
            read_at=timezone.now()
        )
    return count


def open_q() -> Q:
    return Q(resolved_at__isnull=True)
