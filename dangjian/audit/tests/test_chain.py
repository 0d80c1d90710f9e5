"""AUD-04: append-only audit table (app and database) and the SM3 hash chain under tampering."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from dangjian.audit.db import TRIGGER_NAMES, installed_triggers
from dangjian.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from dangjian.audit.services import GENESIS_HASH, audit_record, audit_verify
from dangjian.audit.tests.helpers import raw_sql, record_some, triggers_bypassed
from dangjian.core.crypto import sm3_hex

pytestmark = pytest.mark.django_db


def test_chain_links_each_record_to_the_previous_with_sm3():
    a, b = record_some(2)
    assert a.prev_hash == GENESIS_HASH
    assert b.prev_hash == a.hash
    assert b.hash == sm3_hex(a.hash.encode() + b.canonical())
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_event_id, head.last_hash) == (b.pk, b.hash)


def test_verify_ok_prints_count(capsys):
    record_some(5)
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert "OK" in out
    assert "共校验 5 条记录" in out


def test_changes_with_dates_and_decimals_verify():
    from decimal import Decimal

    audit_record("update", changes={"birth_date": [dt.date(1980, 1, 2), None], "x": Decimal("1.5")})
    assert audit_verify().ok


@pytest.mark.parametrize(
    ("sql", "value"),
    [
        ("UPDATE audit_auditevent SET actor_name = %s WHERE id = %s", "mallory"),
        ("UPDATE audit_auditevent SET changes = %s WHERE id = %s", '{"name": ["旧1", "伪造"]}'),
        ("UPDATE audit_auditevent SET outcome = %s WHERE id = %s", "denied"),
    ],
)
def test_sql_edit_of_a_row_is_named_by_verify(sql, value):
    events = record_some(5)
    target = events[2]
    with triggers_bypassed():
        assert raw_sql(sql, [value, target.pk])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == target.pk
    assert "哈希不符" in result.detail
    with pytest.raises(CommandError, match=rf"id={target.pk}\b"):
        call_command("audit", "verify")


def test_sql_edit_with_recomputed_own_hash_breaks_the_next_link():
    events = record_some(4)
    target = events[1]
    target.actor_name = "mallory"
    forged = sm3_hex(target.prev_hash.encode() + target.canonical())
    with triggers_bypassed():
        raw_sql(
            "UPDATE audit_auditevent SET actor_name = %s, hash = %s WHERE id = %s",
            ["mallory", forged, target.pk],
        )
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == events[2].pk
    assert "不连续" in result.detail


def test_deleting_a_middle_row_is_detected():
    events = record_some(5)
    with triggers_bypassed():
        raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == events[3].pk
    with pytest.raises(CommandError, match=rf"id={events[3].pk}\b"):
        call_command("audit", "verify")


def test_deleting_the_oldest_rows_without_a_purge_is_detected():
    events = record_some(4)
    with triggers_bypassed():
        raw_sql("DELETE FROM audit_auditevent WHERE id <= %s", [events[1].pk])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == events[2].pk
    assert "链首" in result.detail


def test_deleting_the_newest_row_is_detected_by_the_chain_head():
    events = record_some(4)
    with triggers_bypassed():
        raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [events[3].pk])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == events[3].pk
    assert "链头" in result.detail


def test_deleting_everything_is_detected():
    record_some(3)
    with triggers_bypassed():
        raw_sql("DELETE FROM audit_auditevent")
    assert not audit_verify().ok


def test_orm_cannot_update_or_delete_events():
    event = record_some(1)[0]
    event.actor_name = "mallory"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(actor_name="mallory")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.actor_name == "tester"
    assert audit_verify().ok


def test_triggers_are_installed():
    assert installed_triggers(connection) == sorted(TRIGGER_NAMES[connection.vendor])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET actor_name = 'mallory'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_database_refuses_raw_update_and_delete(sql):
    event = record_some(1)[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_sql(sql)
    event.refresh_from_db()
    assert event.actor_name == "tester"
    assert AuditEvent.objects.count() == 1


def test_triggers_survive_a_table_rebuild_via_post_migrate():
    """SQLite drops triggers when Django rebuilds a table; post_migrate puts them back."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from dangjian.audit.apps import _ensure_triggers
    from dangjian.audit.db import remove_triggers

    config = apps.get_app_config("audit")
    assert post_migrate.disconnect(sender=config, dispatch_uid="audit_triggers")  # was connected
    post_migrate.connect(_ensure_triggers, sender=config, dispatch_uid="audit_triggers")
    remove_triggers(connection)
    assert installed_triggers(connection) == []
    _ensure_triggers(sender=config, app_config=config, using="default")
    assert installed_triggers(connection) == sorted(TRIGGER_NAMES[connection.vendor])


def test_verify_anchor_catches_a_fully_recomputed_chain(capsys):
    """An attacker who rewrites a row and recomputes every later hash passes the walk; an
    anchor (id:hash noted outside the database after an earlier verify) still catches it."""
    events = record_some(3)
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert f"id={events[-1].pk} hash={events[-1].hash}" in out
    anchor = f"{events[1].pk}:{events[1].hash}"
    call_command("audit", "verify", "--anchor", anchor)
    with triggers_bypassed():
        prev = GENESIS_HASH
        for event in events:
            event.refresh_from_db()
            if event.pk == events[0].pk:
                event.actor_name = "mallory"
            new_hash = sm3_hex(prev.encode() + event.canonical())
            raw_sql(
                "UPDATE audit_auditevent SET actor_name = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s",
                [event.actor_name, prev, new_hash, event.pk],
            )
            prev = new_hash
        raw_sql("UPDATE audit_auditchainhead SET last_hash = %s", [prev])
    assert audit_verify().ok  # the forgery is self-consistent...
    with pytest.raises(CommandError, match=rf"锚点记录 id={events[1].pk}"):
        call_command("audit", "verify", "--anchor", anchor)  # ...but not with the anchor
    with pytest.raises(CommandError, match="锚点格式"):
        call_command("audit", "verify", "--anchor", "abc")
