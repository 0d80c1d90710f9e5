"""REL-02: a process SIGKILLed in the middle of the write phase leaves none of the file's rows.

The import runs in a real subprocess against the test database (PostgreSQL: the pytest test
database by name; SQLite: a file copy of the test database, since pytest's in-memory database
is private to this process). Its progress callback kills the process with SIGKILL right after
the first write batch, having first counted the rows its open transaction already inserted.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from dangjian.core.testing import build_mini_mine
from dangjian.people.models import Person
from dangjian.people.tests.import_helpers import row, workbook_bytes

SCRIPT = r"""
import os, signal, sys
from django.conf import settings
settings.DATABASES["default"]["NAME"] = sys.argv[2]
import django
django.setup()
from dangjian.core.scope import SYSTEM
from dangjian.people.importing import person_import
from dangjian.people.models import Person

def progress(phase, done, total):
    if phase == "写入中" and done > 0:
        inside = Person.objects.filter(employee_no__startswith="IMP").count()
        print(f"written {done} {inside}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

with open(sys.argv[1], "rb") as fh:
    result = person_import(
        actor=SYSTEM, fh=fh, filename="kill.xlsx", progress=progress, batch_size=25
    )
print("finished", result.created, result.errors[:3], flush=True)
"""


def _imported_rows(db_name: str) -> int:
    if connection.vendor == "sqlite":
        with sqlite3.connect(db_name) as raw:
            return raw.execute(
                "SELECT COUNT(*) FROM people_person WHERE employee_no LIKE 'IMP%'"
            ).fetchone()[0]
    return Person.objects.filter(employee_no__startswith="IMP").count()


def _all_rows(db_name: str) -> int:
    if connection.vendor == "sqlite":
        with sqlite3.connect(db_name) as raw:
            return raw.execute("SELECT COUNT(*) FROM people_person").fetchone()[0]
    return Person.objects.count()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigkill_during_write_phase_leaves_no_rows(tmp_path: Path) -> None:
    build_mini_mine()
    xlsx = tmp_path / "big.xlsx"
    xlsx.write_bytes(workbook_bytes([row(i) for i in range(1, 121)]))
    if connection.vendor == "sqlite":
        db_name = str(tmp_path / "kill.sqlite3")
        connection.ensure_connection()
        target = sqlite3.connect(db_name)
        connection.connection.backup(target)  # the committed test database, as a file
        target.close()
    else:
        db_name = connection.settings_dict["NAME"]  # pytest-django's test_<name> database
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dangjian.settings"}
    env["DANGJIAN_DATA_DIR"] = str(settings.DATA_DIR)  # same field keys and secret key
    env["DANGJIAN_TASK_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(xlsx), db_name],
        env=env,
        cwd=str(Path(settings.BASE_DIR).parent),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert "finished" not in proc.stdout
    _, done, inside = proc.stdout.split()
    assert int(done) == 25 and int(inside) == 25  # the open transaction had written a batch
    assert _imported_rows(db_name) == 0  # ... and none of it survived the kill
    assert _all_rows(db_name) == 3  # the database itself is intact (the mini mine's persons)
