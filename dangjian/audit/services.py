"""Write audit events (the only write path), verify the chain, purge by retention.

``audit_record`` is called by services for business events and by the accounts signals for
logins; it reads who/where/which request from the act context. It writes inside the caller's
transaction, so a failed audit write rolls the business change back (AUD-06, fail closed).

Chain: ``hash = SM3(prev_hash || canonical(record))``. ``audit_verify`` walks it in id order
from the first remaining row. The retention purge (``audit_purge``) is the only deletion: it
removes the oldest rows and appends an ``audit_purge`` event naming the new first row and its
``prev_hash``, so rows cut from the head without a purge are detected too.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from dangjian.audit.db import MIN_RETENTION_DAYS, purge_before
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
    # What is hashed must be exactly what the database gives back: normalise through JSON.
    stored_changes = json.loads(json.dumps(changes or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH)
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor_id=getattr(user, "pk", None),
            actor_name=(actor_name or (getattr(user, "username", "") if user else ""))[:150],
            ip=ctx.ip[:45],
            user_agent=ctx.user_agent[:300],
            request_id=ctx.request_id[:32],
            channel=ctx.channel[:10],
            event_type=event_type[:40],
            object_type=object_type[:60],
            object_id=object_id[:64],
            object_repr=object_repr,
            outcome=outcome,
            reason=(reason or "")[:300],
            changes=stored_changes,
            prev_hash=head.last_hash,
        )
        event.hash = sm3_hex(head.last_hash.encode() + event.canonical())
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(last_hash=event.hash, last_event_id=event.pk)
    return event


PURGE_EVENT = "audit_purge"


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    detail: str = ""
    last_id: int | None = None
    last_hash: str = ""

    def message(self) -> str:
        if self.ok:
            return f"OK：审计链完整，共校验 {self.checked} 条记录。"
        return f"审计链损坏：第一条异常记录 id={self.broken_id}，原因：{self.detail}"


def audit_verify(batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first record whose hash or link is wrong."""
    first = AuditEvent.objects.order_by("id").values_list("id", "prev_hash").first()
    head = AuditChainHead.objects.filter(pk=1).first()
    if first is None:
        if head is not None and head.last_hash != GENESIS_HASH:
            return VerifyResult(
                False, 0, head.last_event_id, "审计记录已被全部删除（链头仍指向该记录）"
            )
        return VerifyResult(True, 0)
    prev = first[1]  # a retention purge drops the oldest rows; the chain starts there
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for event in rows:
            if event.prev_hash != prev:
                return VerifyResult(
                    False, checked, event.pk, "前一记录哈希不连续（其前的记录被删除或修改）"
                )
            expected = sm3_hex(prev.encode() + event.canonical())
            if expected != event.hash:
                return VerifyResult(False, checked, event.pk, "记录内容与哈希不符（记录被修改）")
            prev = event.hash
            checked += 1
            last_id = event.pk
    # The head: the first row is the genesis, or the one the latest purge named.
    anchor = AuditEvent.objects.filter(event_type=PURGE_EVENT).order_by("-id").first()
    if anchor is None:
        if first[1] != GENESIS_HASH:
            return VerifyResult(
                False, checked, first[0], "链首不是创世记录且无清理记录（最早的记录被删除）"
            )
    else:
        expected_first = anchor.changes.get("first_id") or anchor.pk
        expected_prev = anchor.changes.get("first_prev_hash")
        if first[0] != expected_first or first[1] != expected_prev:
            return VerifyResult(
                False,
                checked,
                first[0],
                f"链首与清理记录 id={anchor.pk} 不符（清理后又有记录被删除）",
            )
    # The tail: the chain head row must point at the last record.
    if head is not None and (head.last_hash != prev or head.last_event_id != last_id):
        return VerifyResult(
            False, checked, head.last_event_id, "链头与最后一条记录不符（末尾的记录被删除）"
        )
    return VerifyResult(True, checked, last_id=last_id, last_hash=prev)


def audit_purged_past(event_id: int) -> bool:
    """Is ``event_id`` older than the first row a (verified) retention purge kept?"""
    first = AuditEvent.objects.order_by("id").values_list("id", flat=True).first()
    has_purge = AuditEvent.objects.filter(event_type=PURGE_EVENT).exists()
    return bool(has_purge and first is not None and event_id < first)


class PurgeRefused(Exception):
    """The configured retention is below the legal minimum; nothing was deleted."""


@dataclass
class PurgeResult:
    retention_days: int
    cutoff: dt.datetime
    deleted: int
    first_id: int | None
    dry_run: bool = False


def retention_days() -> int:
    """Effective retention: the longer of the setting and the rule (AUD-05)."""
    from dangjian.core.rules import rule

    return max(int(settings.AUDIT_RETENTION_DAYS), int(rule("security.audit_retention_days")))


def retention_cutoff(days: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def audit_purge(*, actor: Any, dry_run: bool = False) -> PurgeResult:
    """Delete events older than the retention period; the only deletion path (AUD-05).

    Rows go from the head of the chain up to the first row inside the retention period, so
    the remaining chain stays contiguous; the purge event records the new first row.
    """
    days = retention_days()
    if days < MIN_RETENTION_DAYS:
        raise PurgeRefused(
            f"审计日志保留天数 {days} 低于法定最低 {MIN_RETENTION_DAYS} 天，拒绝清理。"
        )
    cutoff = retention_cutoff(days)
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditChainHead.objects.create(pk=1, last_hash=GENESIS_HASH)
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        kept = (
            AuditEvent.objects.filter(occurred_at__gte=cutoff)
            .order_by("id")
            .values_list("id", "prev_hash")
            .first()
        )
        doomed = (
            AuditEvent.objects.all() if kept is None else AuditEvent.objects.filter(id__lt=kept[0])
        )
        count = doomed.count()
        result = PurgeResult(days, cutoff, count, kept[0] if kept else None, dry_run)
        if dry_run:
            return result
        if count:
            last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            result.deleted = purge_before(connection, last + 1 if kept is None else kept[0])
        audit_record(
            PURGE_EVENT,
            obj=("audit.auditevent", "", "审计日志"),
            actor=actor,
            changes={
                "deleted": result.deleted,
                "cutoff": cutoff.isoformat(),
                "retention_days": days,
                "first_id": kept[0] if kept else None,
                "first_prev_hash": kept[1] if kept else head.last_hash,
            },
        )
    return result


def audit_access_record(
    *, actor: Any, event_type: str, changes: dict[str, Any], obj: Any = None
) -> AuditEvent:
    """Record the audit admin's own use of the log: searches, reads, exports (AUD-07)."""
    return audit_record(
        event_type,
        obj=obj if obj is not None else ("audit.auditevent", "", "审计日志"),
        actor=actor,
        changes=changes,
    )
