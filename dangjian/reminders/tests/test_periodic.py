"""The periodic refresh: ``dangjian scheduler`` enqueues it and the worker computes the to-do
list (tasks run inline under pytest), and running it again creates nothing new."""

from __future__ import annotations

import io

from django.core.management import call_command

from dangjian.core.registries import periodic_jobs
from dangjian.core.scope import SYSTEM
from dangjian.people.services import person_update
from dangjian.reminders.models import Reminder


def test_refresh_and_export_purge_are_registered():
    keys = {job.key for job in periodic_jobs()}
    assert {"reminders.refresh", "core.purge_exports"} <= keys
    assert all(job.every_minutes > 0 for job in periodic_jobs())


def test_scheduler_once_computes_the_todo_list(mine):
    person_update(
        actor=SYSTEM,
        person=mine.member_a,
        data={"lost_contact": True, "lost_contact_on": mine.member_a.joined_party_on},
    )
    assert not Reminder.objects.exists()
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "reminders.refresh" in out.getvalue()
    created = Reminder.objects.count()
    assert created >= 1
    assert Reminder.objects.filter(key__contains=str(mine.member_a.pk)).exists()
    call_command("scheduler", "--once", stdout=io.StringIO())
    assert Reminder.objects.count() == created  # idempotent
