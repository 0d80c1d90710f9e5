"""The retention schedule runs by itself (PI-07, AUD-05, AC-06, RIP-01/02): each clean-up is a
registered periodic job of ``dangjian scheduler``, and running the job does the clean-up."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.utils import timezone

from dangjian.accounts.models import User, UserSession
from dangjian.audit.models import AuditEvent
from dangjian.audit.services import PURGE_EVENT, audit_record
from dangjian.core.registries import periodic_jobs
from dangjian.ledgers.services import ledger_dir

pytestmark = pytest.mark.django_db

RETENTION_JOBS = {
    "core.purge_exports",  # export files past security.export_ttl_hours
    "ledgers.purge",  # generated ledger files past the same time to live
    "audit.purge",  # audit events past the retention period (>= 184 days)
    "accounts.disable_inactive",  # accounts unused for security.inactive_account_days
    "accounts.clear_sessions",  # expired sessions nobody presents again
    "core.backup",  # the daily encrypted backup, newest BACKUP_KEEP kept
}


def _run(key: str) -> None:
    {job.key: job for job in periodic_jobs()}[key].func()


def test_every_retention_job_is_scheduled():
    assert {job.key for job in periodic_jobs()} >= RETENTION_JOBS


def test_expired_sessions_are_deleted_with_their_user_sessions(mine):
    mine.client("shuji")
    assert UserSession.objects.exists()
    _run("accounts.clear_sessions")
    assert Session.objects.count() == UserSession.objects.count() >= 1  # still valid: kept
    with time_machine.travel(timezone.now() + dt.timedelta(hours=9)):  # past every timeout
        _run("accounts.clear_sessions")
    assert not Session.objects.exists() and not UserSession.objects.exists()


def test_unused_accounts_are_disabled_by_the_daily_job(mine):
    mine.client("shuji")  # logs in now
    _run("accounts.disable_inactive")
    assert User.objects.get(username="shuji").is_active
    with time_machine.travel(timezone.now() + dt.timedelta(days=91)):
        _run("accounts.disable_inactive")
    assert not User.objects.get(username="shuji").is_active
    event = AuditEvent.objects.filter(event_type="account_disable", object_repr="shuji").get()
    assert "自动停用" in event.reason


def test_the_daily_audit_purge_removes_events_past_the_retention():
    # the chain is purged from its head: the old event comes first
    with time_machine.travel(timezone.now() - dt.timedelta(days=400), tick=False):
        old = audit_record("test", obj=("test.thing", "old", "旧"), actor_name="tester")
    recent = audit_record("test", obj=("test.thing", "new", "新"), actor_name="tester")
    _run("audit.purge")
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert AuditEvent.objects.filter(event_type=PURGE_EVENT).count() == 1


def test_ledger_files_past_their_time_to_live_are_deleted_without_a_new_ledger():
    old, new = ledger_dir() / "job-old.pdf", ledger_dir() / "job-new.pdf"
    old.write_bytes(b"%PDF-old")
    new.write_bytes(b"%PDF-new")
    past = (timezone.now() - dt.timedelta(hours=25)).timestamp()
    os.utime(old, (past, past))
    try:
        _run("ledgers.purge")
        assert not old.exists() and new.exists()
    finally:
        new.unlink(missing_ok=True)
