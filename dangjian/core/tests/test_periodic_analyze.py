"""The daily SQLite statistics job: the planner drives the person list's group choices from
the path range once statistics exist."""

from __future__ import annotations

import pytest
from django.db import connection

from dangjian.core.periodic import sqlite_analyze
from dangjian.core.registries import periodic_jobs

pytestmark = pytest.mark.django_db


def test_registered_daily():
    jobs = {job.key: job for job in periodic_jobs()}
    assert jobs["core.sqlite_analyze"].every_minutes == 24 * 60


def test_analyze_writes_statistics_on_sqlite_only(mine):
    ran = sqlite_analyze()
    assert ran is (connection.vendor == "sqlite")
    if ran:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'orgs_partyorg'")
            assert cursor.fetchone()[0] > 0
