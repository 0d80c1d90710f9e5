"""AUD-04 on PostgreSQL: the application's database role reads and appends audit records and
nothing else; the retention purge still works for it, through the owner's purge function.

The role is real (CREATE ROLE, trust authentication on 127.0.0.1) and the test connects as it,
so the database itself refuses what the role may not do — not the triggers, not the app.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import override_settings

from dangjian.audit.db import TABLE, current_role_may_alter_audit
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import PURGE_EVENT, audit_purge, audit_record, audit_verify
from dangjian.core.checks import check_audit_role
from dangjian.core.models import Rule
from dangjian.core.scope import SYSTEM

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

ROLE = f"dangjian_app_{os.getpid()}"


@pytest.fixture
def app_role() -> Iterator[DatabaseWrapper]:
    """The role, granted by ``dangjian audit app-role --apply`` run as the owner, and a Django
    connection that logs in as it."""
    with connection.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{ROLE}"')
        cursor.execute(f'CREATE ROLE "{ROLE}" LOGIN')
    call_command("audit", "app-role", ROLE, "--apply")
    wrapper = DatabaseWrapper({**connection.settings_dict, "USER": ROLE, "PASSWORD": ""})
    try:
        yield wrapper
    finally:
        wrapper.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{ROLE}"')
            cursor.execute(f'DROP ROLE "{ROLE}"')


@contextmanager
def running_as(wrapper: DatabaseWrapper) -> Iterator[None]:
    """Run application code (services, ORM) over the application role's connection."""
    owner = connections["default"]
    connections["default"] = wrapper
    try:
        yield
    finally:
        connections["default"] = owner


def _sql(wrapper: DatabaseWrapper, sql: str, params: list[Any] | None = None) -> Any:
    with wrapper.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone() if cursor.description else cursor.rowcount


def _refused(wrapper: DatabaseWrapper, *statements: str) -> str:
    """Run the statements as the role (autocommit, one session); the database's refusal."""
    with pytest.raises(DatabaseError) as caught, wrapper.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return str(caught.value)


def test_the_role_reads_and_appends_but_cannot_change_or_delete(app_role):
    first = audit_record("test", obj=("test.thing", "1", "物件"), actor_name="tester")
    assert _sql(app_role, f"SELECT count(*) FROM {TABLE}")[0]  # noqa: S608 >= 2  # + the grant's own event
    with running_as(app_role):
        appended = audit_record("test", obj=("test.thing", "2", "物件"), actor_name="tester")
        Rule.objects.filter(key="security.exports_per_hour").update(value=31)  # business: writable
    assert AuditEvent.objects.filter(pk=appended.pk).exists()
    for statement in (
        f"UPDATE {TABLE} SET event_type = 'x' WHERE id = {first.pk}",  # noqa: S608
        f"DELETE FROM {TABLE} WHERE id = {first.pk}",  # noqa: S608
        f"TRUNCATE {TABLE}",
    ):
        assert "permission denied" in _refused(app_role, statement)
    # the purge door of the trigger does not open for it either: the privilege is missing
    message = _refused(
        app_role,
        "SELECT set_config('dangjian.audit_purge', 'on', false)",
        f"DELETE FROM {TABLE} WHERE id = {first.pk}",  # noqa: S608
    )
    assert "permission denied" in message
    # nor can it disarm the trigger or take the table
    assert "must be owner" in _refused(
        app_role, f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_auditevent_append_only"
    )
    assert AuditEvent.objects.get(pk=first.pk).event_type == "test"
    assert audit_verify().ok


def test_the_purge_function_refuses_rows_younger_than_the_legal_minimum(app_role):
    recent = audit_record("test", obj=("test.thing", "1", "物件"), actor_name="tester")
    message = _refused(app_role, f"SELECT audit_purge_before({recent.pk + 1})")
    assert "184" in message
    assert AuditEvent.objects.filter(pk=recent.pk).exists()


@pytest.fixture
def old_event() -> AuditEvent:
    """An event 400 days old, first on the chain (before the grant's own event)."""
    with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=400), tick=False):
        return audit_record("test", obj=("test.thing", "old", "旧"), actor_name="tester")


def test_the_application_purges_as_the_role(old_event, app_role):
    Rule.objects.update_or_create(
        key="security.audit_retention_days",
        defaults={"category": "security", "name": "审计日志保留天数", "value": 184},
    )
    now = dt.datetime.now(dt.UTC)
    with time_machine.travel(now - dt.timedelta(days=10), tick=False):
        kept = audit_record("test", obj=("test.thing", "new", "新"), actor_name="tester")
    with running_as(app_role), override_settings(AUDIT_RETENTION_DAYS=184):
        result = audit_purge(actor=SYSTEM)
    assert result.first_id is not None and result.deleted >= 1
    assert not AuditEvent.objects.filter(pk__lt=result.first_id).exists()
    assert not AuditEvent.objects.filter(pk=old_event.pk).exists()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert AuditEvent.objects.filter(event_type=PURGE_EVENT).count() == 1
    assert audit_verify().ok


def test_deploy_check_names_a_role_that_may_alter_the_audit_table(app_role):
    assert current_role_may_alter_audit(connection)  # the owner (the test server's superuser)
    assert [m.id for m in check_audit_role()] == ["dangjian.W004"]
    assert not current_role_may_alter_audit(app_role)
    with running_as(app_role):
        assert check_audit_role() == []


def test_the_command_prints_the_grants_and_is_recorded(app_role, capsys):
    call_command("audit", "app-role", ROLE)
    printed = capsys.readouterr().out
    assert f'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {TABLE} FROM "{ROLE}"' in (
        printed
    )
    assert f'GRANT EXECUTE ON FUNCTION audit_purge_before(bigint) TO "{ROLE}"' in printed
    grant = AuditEvent.objects.filter(event_type="db_role_grant").get()
    assert grant.changes["role"] == ROLE
    with pytest.raises(CommandError, match="角色须已存在"):
        call_command("audit", "app-role", "no_such_role_here", "--apply")
