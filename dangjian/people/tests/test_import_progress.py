"""An import's write phase runs in one transaction; its progress must still reach the polling
page while that transaction is open (``Job.report_progress`` / ``Job.live``)."""

from __future__ import annotations

import functools
import threading
import uuid

import pytest
from django.conf import settings
from django.db import connection

from dangjian.core.models import Job
from dangjian.core.testing import build_mini_mine
from dangjian.people import importing
from dangjian.people.tests.import_helpers import row, workbook_bytes


@pytest.mark.django_db(transaction=True)
def test_write_phase_progress_is_seen_from_another_connection(monkeypatch):
    mine = build_mini_mine()
    path = importing.import_dir() / f"{uuid.uuid4().hex}.xlsx"
    path.write_bytes(workbook_bytes([row(1), row(2), row(3)]))
    job = Job.objects.create(
        kind="import:people.persons",
        owner=mine.users["shuji"],
        total=3,
        params={"filename": "p.xlsx", "rows": 3},
        input_file=str(path.relative_to(settings.PRIVATE_DIR)),
    )
    seen: list[tuple[str, int, int, str, bool]] = []
    original = importing._after_batch

    def poll() -> None:  # the status page's read, on its own connection
        try:
            polled = Job.objects.get(pk=job.pk).live()
            # on PostgreSQL this connection cannot see the open transaction's row updates (the
            # test database on SQLite is a shared in-memory cache, which can): the file carries it
            seen.append(
                (polled.phase, polled.done, polled.total, polled.status, job.progress_file.exists())
            )
        finally:
            connection.close()

    def after_batch(*args, **kwargs):
        assert connection.in_atomic_block  # inside the import's one transaction
        poller = threading.Thread(target=poll)
        poller.start()
        poller.join()
        return original(*args, **kwargs)

    monkeypatch.setattr(importing, "_after_batch", after_batch)
    one_row_batches = functools.partial(importing.person_import, batch_size=1)
    monkeypatch.setattr(importing, "person_import", one_row_batches)
    importing.import_run(job)
    write, running = importing.PHASE_WRITE, Job.Status.RUNNING
    assert seen == [  # polled before each batch: the first before any report inside
        (write, 0, 3, running, False),
        (write, 1, 3, running, True),
        (write, 2, 3, running, True),
    ]
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.percent == 100
    assert not job.progress_file.exists()  # cleared with the job's end
    assert not path.exists()
