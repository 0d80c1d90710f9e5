"""Alerts on anomalous bulk access to personal data (SECURITY.md PI-09; PIPL Art. 57).

After every reveal of a plaintext field and every export, :func:`access_check` counts the
actor's events of that kind in the audit table over the last hour. Above the rule
(``security.reveal_alert_per_hour`` / ``security.export_alert_per_hour``) it appends one
``anomaly_alert`` event — at most one per user, kind and hour — and logs a warning for the
operators. The security administrator's home page lists the alerts of the last day
(:func:`recent_alerts`); the incident runbook in docs/security.md says what to do next.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import AdminRole
from dangjian.audit.models import AuditChainHead, AuditEvent
from dangjian.audit.services import audit_record
from dangjian.core.rules import rule
from dangjian.core.scope import SYSTEM

logger = logging.getLogger("dangjian.security")

ALERT_EVENT = "anomaly_alert"
WINDOW = dt.timedelta(hours=1)
# kind: (rule with the hourly threshold, label)
KINDS: dict[str, tuple[str, str]] = {
    "reveal": ("security.reveal_alert_per_hour", "查看明文"),
    "export": ("security.export_alert_per_hour", "导出数据"),
}


def access_check(*, actor: Any, kind: str) -> AuditEvent | None:
    """Raise an alert when ``actor`` exceeded the hourly threshold for ``kind``; else None.

    Counts every ``kind`` event of the actor in the last hour, refused ones included (probing
    is as suspicious as reading). Serialised on the audit chain head, so two concurrent
    requests cannot both raise the alert of the same hour.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown access kind {kind!r}")
    actor_id = getattr(actor, "pk", None)
    if actor_id is None:  # the system itself (jobs without an owner, demo loading)
        return None
    rule_key, label = KINDS[kind]
    threshold = int(rule(rule_key))
    now = timezone.now()
    since = now - WINDOW
    with transaction.atomic():
        AuditChainHead.objects.select_for_update().filter(pk=1).first()
        count = AuditEvent.objects.filter(
            actor_id=actor_id, event_type=kind, occurred_at__gte=since
        ).count()
        if count <= threshold:
            return None
        already = AuditEvent.objects.filter(
            event_type=ALERT_EVENT,
            object_type="accounts.user",
            object_id=str(actor_id),
            occurred_at__gte=since,
            changes__kind=kind,
        ).exists()
        if already:
            return None
        username = getattr(actor, "username", "")
        event = audit_record(
            ALERT_EVENT,
            obj=("accounts.user", actor_id, username),
            actor=SYSTEM,
            reason=f"{username} 一小时内{label} {count} 次，超过阈值 {threshold} 次",
            changes={
                "kind": kind,
                "count": count,
                "threshold": threshold,
                "since": since.isoformat(timespec="seconds"),
                "user": username,
            },
        )
    logger.warning(
        "anomaly alert: user id %s %s %s times in one hour (threshold %s)",
        actor_id,
        kind,
        count,
        threshold,
    )
    return event


@dataclass(frozen=True)
class Alert:
    at: dt.datetime
    username: str
    kind: str
    label: str
    count: int
    threshold: int


def recent_alerts(*, actor: Any, hours: int = 24, limit: int = 20) -> list[Alert]:
    """Security administrator: the anomaly alerts of the last ``hours`` (newest first)."""
    from dangjian.accounts.services import require_admin

    require_admin(actor, AdminRole.SECURITY)
    since = timezone.now() - dt.timedelta(hours=hours)
    rows = AuditEvent.objects.filter(event_type=ALERT_EVENT, occurred_at__gte=since).values_list(
        "occurred_at", "object_repr", "changes"
    )[:limit]
    alerts = []
    for occurred_at, name, changes in rows:
        data = changes if isinstance(changes, dict) else {}
        kind = str(data.get("kind", ""))
        alerts.append(
            Alert(
                at=occurred_at,
                username=str(data.get("user") or name),
                kind=kind,
                label=KINDS.get(kind, ("", kind))[1],
                count=int(data.get("count", 0)),
                threshold=int(data.get("threshold", 0)),
            )
        )
    return alerts
