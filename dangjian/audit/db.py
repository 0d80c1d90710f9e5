"""Database triggers that make the audit table append-only (AUD-04).

PostgreSQL: one plpgsql trigger refuses UPDATE and DELETE on ``audit_auditevent`` unless the
current transaction has run ``SET LOCAL dangjian.audit_purge = 'on'`` (only the retention
purge does that, and only for DELETE).
SQLite: a BEFORE UPDATE trigger always aborts; a BEFORE DELETE trigger aborts unless a row
exists in ``audit_purgeflag`` (inserted and removed by the purge inside its transaction).

Triggers only stop the application and careless hands: anyone who may run DDL can drop them.
That is why the chain is hashed and ``dangjian audit verify`` catches what slips through.

``install_triggers`` is idempotent. It runs in the migration and again after every
``migrate`` (post_migrate), because SQLite drops a table's triggers whenever Django rebuilds
the table for a schema change.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditevent"
PURGE_SETTING = "dangjian.audit_purge"

_PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION audit_auditevent_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('dangjian.audit_purge', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_auditevent is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    """
    CREATE TRIGGER audit_auditevent_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()
    """,
]
_PG_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_append_only()",
]

_SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_update
    BEFORE UPDATE ON audit_auditevent
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent is append-only (UPDATE refused)');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_auditevent_no_delete
    BEFORE DELETE ON audit_auditevent
    WHEN NOT EXISTS (SELECT 1 FROM audit_purgeflag)
    BEGIN
        SELECT RAISE(ABORT, 'audit_auditevent is append-only (DELETE refused)');
    END
    """,
]
_SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
    "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
]

# Trigger names per vendor, for tests and the restore drill.
TRIGGER_NAMES = {
    "postgresql": ["audit_auditevent_append_only"],
    "sqlite": ["audit_auditevent_no_update", "audit_auditevent_no_delete"],
}


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install_triggers(connection: Any) -> None:
    if connection.vendor == "postgresql":
        _run(connection, _PG_INSTALL)
    elif connection.vendor == "sqlite":
        _run(connection, _SQLITE_INSTALL)


def remove_triggers(connection: Any) -> None:
    if connection.vendor == "postgresql":
        _run(connection, _PG_REMOVE)
    elif connection.vendor == "sqlite":
        _run(connection, _SQLITE_REMOVE)


def installed_triggers(connection: Any) -> list[str]:
    """Names of the append-only triggers present on the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [TABLE],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [TABLE],
            )
        else:
            return []
        return sorted(row[0] for row in cursor.fetchall())


def allow_purge_delete(connection: Any, on: bool) -> None:
    """Open (or close) the purge door for the current transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config(%s, %s, true)", [PURGE_SETTING, "on" if on else "off"]
            )
            return
    from dangjian.audit.models import AuditPurgeFlag

    if on:
        AuditPurgeFlag.objects.using(connection.alias).create()
    else:
        AuditPurgeFlag.objects.using(connection.alias).all().delete()
