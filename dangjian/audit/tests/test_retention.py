"""AUD-05: retention purge (>= 184 days), itself audited, chain still verifiable afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import override_settings

from dangjian.audit.models import AuditEvent
from dangjian.audit.services import (
    PURGE_EVENT,
    PurgeRefused,
    audit_purge,
    audit_record,
    audit_verify,
)
from dangjian.audit.tests.helpers import raw_sql, triggers_bypassed
from dangjian.core.models import Rule
from dangjian.core.scope import SYSTEM

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def _set_rule(days: int) -> None:
    Rule.objects.update_or_create(
        key="security.audit_retention_days",
        defaults={"category": "security", "name": "审计日志保留天数", "value": days},
    )


def _event_aged(days: float, name: str) -> AuditEvent:
    with time_machine.travel(NOW - dt.timedelta(days=days), tick=False):
        return audit_record("test", obj=("test.thing", name, name), actor_name="tester")


def _build_history() -> dict[str, AuditEvent]:
    ages = {"400d": 400, "366d": 366, "200d": 200, "185d": 185, "183d": 183, "10d": 10}
    return {name: _event_aged(days, name) for name, days in ages.items()}


@pytest.mark.parametrize(
    ("setting", "rule_days", "expected_kept"),
    [
        (365, 365, {"200d", "185d", "183d", "10d"}),  # the default: older than 365 days go
        (184, 184, {"183d", "10d"}),  # the minimum: 183 days kept, 185 days purged
        (184, 365, {"200d", "185d", "183d", "10d"}),  # the longer of setting and rule wins
        (390, 184, {"366d", "200d", "185d", "183d", "10d"}),
    ],
)
def test_purge_removes_only_rows_older_than_retention(setting, rule_days, expected_kept):
    _set_rule(rule_days)
    history = _build_history()
    with override_settings(AUDIT_RETENTION_DAYS=setting), time_machine.travel(NOW, tick=False):
        result = audit_purge(actor=SYSTEM)
    remaining = set(
        AuditEvent.objects.exclude(event_type=PURGE_EVENT).values_list("object_id", flat=True)
    )
    assert remaining == expected_kept
    assert result.deleted == len(history) - len(expected_kept)
    assert result.retention_days == max(setting, rule_days)
    assert audit_verify().ok


def test_purge_is_recorded_and_names_the_new_first_row():
    _set_rule(184)
    history = _build_history()
    with override_settings(AUDIT_RETENTION_DAYS=184), time_machine.travel(NOW, tick=False):
        audit_purge(actor=SYSTEM)
    purge = AuditEvent.objects.get(event_type=PURGE_EVENT)
    assert purge.actor_name == "system"
    assert purge.changes["deleted"] == 4
    assert purge.changes["retention_days"] == 184
    assert purge.changes["first_id"] == history["183d"].pk
    assert purge.changes["first_prev_hash"] == history["183d"].prev_hash
    # the purge event is itself on the chain, after the kept rows
    assert purge.prev_hash == history["10d"].hash


def test_rows_cut_from_the_head_after_a_purge_are_detected():
    _set_rule(184)
    history = _build_history()
    with override_settings(AUDIT_RETENTION_DAYS=184), time_machine.travel(NOW, tick=False):
        audit_purge(actor=SYSTEM)
    assert audit_verify().ok
    with triggers_bypassed():
        raw_sql("DELETE FROM audit_auditevent WHERE id = %s", [history["183d"].pk])
    result = audit_verify()
    assert not result.ok
    assert result.broken_id == history["10d"].pk
    assert "清理记录" in result.detail


def test_purge_of_everything_leaves_a_verifiable_purge_event():
    _set_rule(184)
    _event_aged(300, "old")
    with override_settings(AUDIT_RETENTION_DAYS=184), time_machine.travel(NOW, tick=False):
        result = audit_purge(actor=SYSTEM)
    assert result.deleted == 1
    assert list(AuditEvent.objects.values_list("event_type", flat=True)) == [PURGE_EVENT]
    assert audit_verify().ok
    # two purges in a row, then new events: still one valid chain
    with override_settings(AUDIT_RETENTION_DAYS=184), time_machine.travel(NOW, tick=False):
        audit_purge(actor=SYSTEM)
    audit_record("test", actor_name="tester")
    assert audit_verify().ok


def test_dry_run_deletes_nothing():
    _set_rule(184)
    _build_history()
    with override_settings(AUDIT_RETENTION_DAYS=184), time_machine.travel(NOW, tick=False):
        result = audit_purge(actor=SYSTEM, dry_run=True)
    assert result.deleted == 4
    assert AuditEvent.objects.count() == 6


def test_purge_refuses_retention_below_184_days():
    _set_rule(100)
    _build_history()
    with override_settings(AUDIT_RETENTION_DAYS=183), time_machine.travel(NOW, tick=False):
        with pytest.raises(PurgeRefused, match="184"):
            audit_purge(actor=SYSTEM)
        with pytest.raises(CommandError, match="184"):
            call_command("audit", "purge")
    assert AuditEvent.objects.count() == 6


def test_purge_command(capsys):
    _set_rule(184)
    history = _build_history()
    with override_settings(AUDIT_RETENTION_DAYS=184), time_machine.travel(NOW, tick=False):
        call_command("audit", "purge")
    assert "已删除 4 条" in capsys.readouterr().out
    purge = AuditEvent.objects.get(event_type=PURGE_EVENT)
    assert purge.channel == "cli"
    call_command("audit", "verify")
    # an anchor noted before the purge names a row retention removed: not an error
    old = history["400d"]
    call_command("audit", "verify", "--anchor", f"{old.pk}:{old.hash}")
    kept = history["183d"]
    with pytest.raises(CommandError, match="锚点"):
        call_command("audit", "verify", "--anchor", f"{kept.pk}:{'0' * 64}")


def test_system_check_refuses_a_retention_setting_below_the_legal_minimum():
    from dangjian.core.checks import check_audit_retention

    with override_settings(AUDIT_RETENTION_DAYS=183):
        (error,) = check_audit_retention()
        assert error.id == "dangjian.E001" and "184" in error.msg
    with override_settings(AUDIT_RETENTION_DAYS=184):
        assert check_audit_retention() == []
