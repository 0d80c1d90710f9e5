"""Append-only, hash-chained audit trail (AUD-01..05).

Each event's ``hash`` is SM3 over the previous event's hash and this event's canonical form,
so any change made directly in the database breaks the chain at that row.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit record through the application."""

    def __init__(self, message: str = "审计记录只能追加，不能修改或删除。") -> None:
        super().__init__(message)


class AuditQuerySet(models.QuerySet["AuditEvent"]):
    """Reads only: bulk ``update``/``delete`` are refused (AUD-04). The purge uses SQL."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError

    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError  # events are appended one by one by audit_record (hash chain)


AuditEventManager = models.Manager.from_queryset(AuditQuerySet)


class AuditEvent(models.Model):
    class Outcome(models.TextChoices):
        SUCCESS = "success", "成功"
        FAILURE = "failure", "失败"
        DENIED = "denied", "拒绝"

    occurred_at = models.DateTimeField("时间", db_index=True)
    actor_id = models.BigIntegerField("操作人ID", null=True, blank=True, db_index=True)
    actor_name = models.CharField("操作人", max_length=150, blank=True)
    ip = models.CharField("来源IP", max_length=45, blank=True)
    user_agent = models.CharField("客户端", max_length=300, blank=True)
    request_id = models.CharField("请求ID", max_length=32, blank=True, db_index=True)
    channel = models.CharField("渠道", max_length=10, blank=True)
    event_type = models.CharField("事件类型", max_length=40, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices)
    reason = models.CharField("事由", max_length=300, blank=True)
    changes = models.JSONField("变更(脱敏)", default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventManager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert once; any later save is an update and is refused."""
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError

    @property
    def field_changes(self) -> list[tuple[str, Any, Any]]:
        """``changes`` entries shaped ``{field: [before, after]}``, for the detail page."""
        rows: list[tuple[str, Any, Any]] = []
        if isinstance(self.changes, dict):
            for key, value in self.changes.items():
                if isinstance(value, list) and len(value) == 2:
                    rows.append((str(key), value[0], value[1]))
        return rows

    @property
    def other_changes(self) -> dict[str, Any]:
        """``changes`` entries that are not before/after pairs (columns, row counts...)."""
        if not isinstance(self.changes, dict):
            return {"value": self.changes}
        return {
            str(k): v for k, v in self.changes.items() if not (isinstance(v, list) and len(v) == 2)
        }

    def canonical(self) -> bytes:
        """The bytes the chain hash covers: every recorded field, in a fixed order."""
        payload: dict[str, Any] = {
            "occurred_at": self.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "request_id": self.request_id,
            "channel": self.channel,
            "event_type": self.event_type,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "outcome": self.outcome,
            "reason": self.reason,
            "changes": self.changes,
        }
        return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()


class AuditChainHead(models.Model):
    """Single row holding the latest hash; locked while appending so the chain stays linear."""

    last_hash = models.CharField(max_length=64)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return self.last_hash


class AuditPurgeFlag(models.Model):
    """SQLite only: while a row exists, the DELETE trigger on audit events lets rows go.

    The retention purge inserts and removes it inside its own transaction; nothing else does.
    (On PostgreSQL the purge function ``audit_purge_before`` sets ``dangjian.audit_purge``
    for its own transaction instead.)
    """

    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "audit_purgeflag"

    def __str__(self) -> str:
        return f"purge @ {self.started_at}"
