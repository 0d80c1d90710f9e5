"""Write audit events (the only write path) and verify the chain.

``audit_record`` is called by services for business events and by the accounts signals for
logins; it reads who/where/which request from the act context. It writes inside the caller's
transaction, so a failed audit write rolls the business change back (AUD-06, fail closed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from dangjian.audit.models import AuditChainHead, AuditEvent
from dangjian.core import context
from dangjian.core.crypto import sm3_hex

GENESIS_HASH = "0" * 64


def _object_fields(obj: Any) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, models.Model):
        return obj._meta.label_lower, str(obj.pk or ""), str(obj)[:200]
    if isinstance(obj, tuple):  # (type, id, repr)
        return str(obj[0]), str(obj[1]), str(obj[2])[:200]
    return type(obj).__name__, "", str(obj)[:200]


def audit_record(
    event_type: str,
    *,
    obj: Any = None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    changes: dict[str, Any] | None = None,
    reason: str = "",
    actor: Any = None,
    actor_name: str = "",
) -> AuditEvent:
    """Append one event to the chain. Runs in (or opens) a transaction; raises on failure."""
    ctx = context.current()
    user = actor if actor is not None else ctx.user
    object_type, object_id, object_repr = _object_fields(obj)
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH)
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor_id=getattr(user, "pk", None),
            actor_name=actor_name or (getattr(user, "username", "") if user else ""),
            ip=ctx.ip,
            user_agent=ctx.user_agent,
            request_id=ctx.request_id,
            channel=ctx.channel,
            event_type=event_type,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            outcome=outcome,
            reason=reason[:300],
            changes=changes or {},
            prev_hash=head.last_hash,
        )
        event.hash = sm3_hex(head.last_hash.encode() + event.canonical())
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_hash=event.hash, last_event_id=event.pk)
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    detail: str = ""


def audit_verify(batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first record whose hash or link is wrong."""
    prev = GENESIS_HASH
    checked = 0
    last_id = 0
    purged_head = AuditEvent.objects.order_by("id").values_list("prev_hash", flat=True).first()
    if purged_head is not None:
        prev = purged_head  # retention purges drop the oldest rows; the chain starts there
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for event in rows:
            if event.prev_hash != prev:
                return VerifyResult(False, checked, event.pk, "前一记录哈希不连续")
            expected = sm3_hex(prev.encode() + event.canonical())
            if expected != event.hash:
                return VerifyResult(False, checked, event.pk, "记录内容与哈希不符")
            prev = event.hash
            checked += 1
            last_id = event.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and checked and head.last_hash != prev:
        return VerifyResult(False, checked, head.last_event_id, "链头与最后一条记录不符")
    return VerifyResult(True, checked)


def retention_cutoff(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
