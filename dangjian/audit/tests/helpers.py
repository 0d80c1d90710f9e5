"""Test helpers: tamper with the audit table the way someone with database access would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from dangjian.audit.db import install_triggers, remove_triggers
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import audit_record


@contextmanager
def triggers_bypassed() -> Iterator[None]:
    """Disable (PostgreSQL) or drop (SQLite) the append-only triggers, as an attacker would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_auditevent_append_only"
            )
        else:
            remove_triggers(connection)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_auditevent_append_only"
                )
            else:
                install_triggers(connection)


def raw_sql(sql: str, params: list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def record_some(n: int, prefix: str = "evt") -> list[AuditEvent]:
    return [
        audit_record(
            f"{prefix}_{i}",
            obj=("test.thing", i, f"物件{i}"),
            changes={"name": [f"旧{i}", f"新{i}"]},
            actor_name="tester",
        )
        for i in range(n)
    ]
