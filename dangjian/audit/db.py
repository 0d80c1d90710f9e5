"""Database triggers that make the audit table append-only (AUD-04).

PostgreSQL: one plpgsql trigger refuses UPDATE and DELETE on ``audit_auditevent`` unless the
current transaction has run ``SET LOCAL dangjian.audit_purge = 'on'`` (only the retention
purge does that, and only for DELETE).
SQLite: a BEFORE UPDATE trigger always aborts; a BEFORE DELETE trigger aborts unless a row
exists in ``audit_purgeflag`` (inserted and removed by the purge inside its transaction).

Triggers only stop the application and careless hands: anyone who may run DDL can drop them.
That is why the chain is hashed and ``dangjian audit verify`` catches what slips through.

PostgreSQL with a separate application role (AUD-04, ``dangjian audit app-role NAME``): the
role the application connects as gets SELECT and INSERT on the audit table and nothing else,
so no UPDATE, DELETE or TRUNCATE it sends can succeed, whatever it sets. The retention purge
goes through ``audit_purge_before(first_kept)``, a SECURITY DEFINER function owned by the
schema owner that deletes only rows older than the legal minimum (``MIN_RETENTION_DAYS``,
by the database's clock) — the one deletion the application role can ask for.

``install_triggers`` is idempotent. It runs in the migration and again after every
``migrate`` (post_migrate), because SQLite drops a table's triggers whenever Django rebuilds
the table for a schema change.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditevent"
PURGE_SETTING = "dangjian.audit_purge"
PURGE_FUNCTION = "audit_purge_before"
MIN_RETENTION_DAYS = 184  # 网络安全法 Art. 23(3): logs kept at least six months

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
    # The purge: the caller names the first row to keep; rows before it go, provided every one
    # of them is older than the legal minimum by the database's own clock.
    f"""
    CREATE OR REPLACE FUNCTION {PURGE_FUNCTION}(first_kept bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
        deleted bigint;
    BEGIN
        IF EXISTS (
            SELECT 1 FROM audit_auditevent
            WHERE id < first_kept
              AND occurred_at > now() - make_interval(days => {MIN_RETENTION_DAYS})
        ) THEN
            RAISE EXCEPTION 'audit purge refused: rows younger than % days', {MIN_RETENTION_DAYS}
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM set_config('{PURGE_SETTING}', 'on', true);
        DELETE FROM audit_auditevent WHERE id < first_kept;
        GET DIAGNOSTICS deleted = ROW_COUNT;
        PERFORM set_config('{PURGE_SETTING}', 'off', true);
        RETURN deleted;
    END;
    $$
    """,  # noqa: S608 (module constants only)
    f"REVOKE ALL ON FUNCTION {PURGE_FUNCTION}(bigint) FROM PUBLIC",
]
_PG_REMOVE = [
    "DROP TRIGGER IF EXISTS audit_auditevent_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_auditevent_append_only()",
    f"DROP FUNCTION IF EXISTS {PURGE_FUNCTION}(bigint)",
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


def purge_before(connection: Any, first_kept: int) -> int:
    """Delete the audit rows before ``first_kept``; the number deleted. Inside the caller's
    transaction. PostgreSQL: through the SECURITY DEFINER function (the application role has
    no DELETE); SQLite: through the purge flag."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT {PURGE_FUNCTION}(%s)", [first_kept])  # noqa: RUF100, S608 (constant)
            return int(cursor.fetchone()[0])
        allow_purge_delete(connection, True)
        cursor.execute(f"DELETE FROM {TABLE} WHERE id < %s", [first_kept])  # noqa: RUF100, S608 (constant)
        deleted = int(cursor.rowcount)
        allow_purge_delete(connection, False)
        return deleted


def app_role_statements(role: str, database: str) -> list[str]:
    """SQL, run by the owner of the schema, that lets ``role`` run the application while the
    audit table stays append-only for it (AUD-04): full DML on the other tables (and on tables
    later migrations create), SELECT and INSERT only on the audit table, EXECUTE on the purge
    function. Idempotent; run it again after ``migrate``."""
    from psycopg import sql

    def q(text: str, *names: str) -> str:
        return sql.SQL(text).format(*(sql.Identifier(n) for n in names)).as_string(None)

    return [
        q("GRANT CONNECT ON DATABASE {} TO {}", database, role),
        q("GRANT USAGE ON SCHEMA public TO {}", role),
        q("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}", role),
        q("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}", role),
        q(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}",
            role,
        ),
        q("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}", role),
        q(f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {TABLE} FROM {{}}", role),
        q(f"GRANT EXECUTE ON FUNCTION {PURGE_FUNCTION}(bigint) TO {{}}", role),
    ]


def current_role_may_alter_audit(connection: Any) -> bool:
    """PostgreSQL: may the role this process connects as UPDATE, DELETE or TRUNCATE the audit
    table (the owner and superusers may, whatever is granted)? False elsewhere."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(current_user, %s, 'UPDATE')"
            " OR has_table_privilege(current_user, %s, 'DELETE')"
            " OR has_table_privilege(current_user, %s, 'TRUNCATE')",
            [TABLE, TABLE, TABLE],
        )
        return bool(cursor.fetchone()[0])
