"""Reads of the audit log, for the audit administrator only (三员分立, AUD-07).

The audit log is not organisation-scoped data: no business grant reaches it, so it does not
go through ``core.scope.restrict``. Access is by the separation of duties instead: only
``User.admin_role == "audit"`` (or the explicit ``SYSTEM`` actor of the command line) may read
it; everyone else is refused here, so views, exports and commands cannot leak it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone

from dangjian.accounts.models import AdminRole
from dangjian.audit.forms import AuditFilterForm, event_type_label
from dangjian.audit.models import AuditEvent
from dangjian.core.scope import SYSTEM


def is_audit_admin(user: Any) -> bool:
    if user is SYSTEM:
        return True
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
        and getattr(user, "admin_role", "") == AdminRole.AUDIT
    )


def require_audit_admin(user: Any) -> None:
    if not is_audit_admin(user):
        raise PermissionDenied("仅审计管理员可以查看审计日志。")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def event_list(*, user: Any, filters: dict[str, Any] | None = None) -> QuerySet[AuditEvent]:
    """Audit events matching ``filters`` (a cleaned ``AuditFilterForm``), for the audit admin."""
    require_audit_admin(user)
    qs = AuditEvent.objects.all()
    f = filters or {}
    if f.get("date_from"):
        qs = qs.filter(occurred_at__gte=_day_start(_as_date(f["date_from"])))
    if f.get("date_to"):
        end = _as_date(f["date_to"]) + dt.timedelta(days=1)
        qs = qs.filter(occurred_at__lt=_day_start(end))
    if f.get("actor"):
        actor = str(f["actor"])
        clause = Q(actor_name__icontains=actor)
        if actor.isdigit():
            clause |= Q(actor_id=int(actor))
        qs = qs.filter(clause)
    for name in ("event_type", "object_type", "object_id", "outcome", "request_id"):
        if f.get(name):
            qs = qs.filter(**{name: f[name]})
    if f.get("ip"):
        qs = qs.filter(ip__startswith=f["ip"])  # a prefix finds a subnet: "10.2."
    return qs


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def event_get(*, user: Any, event_id: int) -> AuditEvent:
    """One event (raises ``AuditEvent.DoesNotExist`` when absent)."""
    require_audit_admin(user)
    return AuditEvent.objects.get(pk=event_id)


def clean_filters(params: dict[str, Any]) -> dict[str, Any]:
    """Validate filter parameters (from a job or the command line) the way the page does."""
    form = AuditFilterForm(params)
    if not form.is_valid():
        raise ValidationError(form.errors.get_json_data())
    return form.filters()


EXPORT_HEADERS = [
    "ID",
    "时间",
    "操作人",
    "操作人ID",
    "来源IP",
    "客户端",
    "请求ID",
    "渠道",
    "事件类型",
    "事件",
    "对象类型",
    "对象ID",
    "对象",
    "结果",
    "事由",
    "变更(脱敏)",
    "哈希",
]


def export_rows(*, user: Any, filters: dict[str, Any]) -> Iterator[list[Any]]:
    """Rows for the Excel export, streamed in id order with flat memory."""
    qs = event_list(user=user, filters=filters).order_by("id")
    outcomes = dict(AuditEvent.Outcome.choices)
    for e in qs.iterator(chunk_size=2000):
        yield [
            e.pk,
            timezone.localtime(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S%z"),
            e.actor_name,
            e.actor_id,
            e.ip,
            e.user_agent,
            e.request_id,
            e.channel,
            e.event_type,
            event_type_label(e.event_type),
            e.object_type,
            e.object_id,
            e.object_repr,
            outcomes.get(e.outcome, e.outcome),
            e.reason,
            _json(e.changes),
            e.hash,
        ]


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
