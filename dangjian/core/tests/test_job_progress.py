"""``Job.report_progress``: outside a transaction the row, inside one a file that ``live()``
(and so the status page) reads; a finished job ignores it."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from dangjian.core.models import Job


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_row_is_updated(mine):
    job = Job.objects.create(kind="test", owner=mine.users["shuji"])
    job.report_progress("校验中", 4, 10)
    stored = Job.objects.get(pk=job.pk)
    assert (stored.status, stored.phase, stored.done, stored.total) == ("running", "校验中", 4, 10)
    assert not job.progress_file.exists()


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_a_file_carries_it(mine):
    job = Job.objects.create(kind="test", owner=mine.users["shuji"], total=10)
    with transaction.atomic():
        job.report_progress("写入中", 6, 10)
        assert job.progress_file.exists()
    stored = Job.objects.get(pk=job.pk)
    assert (stored.phase, stored.done) == ("", 0)  # the row was not touched
    live = stored.live()
    assert (live.status, live.phase, live.done, live.total, live.percent) == (
        "running",
        "写入中",
        6,
        10,
        60,
    )
    # the status page shows it
    client = mine.client("shuji")
    answer = client.get(
        reverse("core:job_status", args=[job.uid]), HTTP_ACCEPT="application/json"
    ).json()
    assert (answer["phase"], answer["percent"]) == ("写入中", 60)
    # a finished job ignores a left-over file; clearing removes it
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED)
    assert Job.objects.get(pk=job.pk).live().percent == 100
    job.clear_progress()
    assert not job.progress_file.exists()
    # the next report outside a transaction clears the file too
    with transaction.atomic():
        job.report_progress("写入中", 7, 10)
    job.report_progress("完成", 10, 10)
    assert not job.progress_file.exists()


@pytest.mark.django_db
def test_a_broken_file_is_ignored(mine):
    job = Job.objects.create(kind="test", owner=mine.users["shuji"], phase="排队中")
    job.progress_file.parent.mkdir(parents=True, exist_ok=True)
    for broken in ("{not json", "[1, 2]", '{"phase": "写入中"}', '{"phase": "x", "done": "a"}'):
        job.progress_file.write_text(broken)
        assert job.live().phase == "排队中", broken
    job.clear_progress()
