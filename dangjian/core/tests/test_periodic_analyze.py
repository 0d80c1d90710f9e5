"""The daily planner-statistics job (``ANALYZE``), on SQLite and PostgreSQL: statistics
exist afterwards, so the planner drives the person list from the path range and the party
organisation index instead of scanning persons."""

from __future__ import annotations

import pytest
from django.db import connection

from dangjian.core.periodic import refresh_statistics
from dangjian.core.registries import periodic_jobs

pytestmark = pytest.mark.django_db


def test_registered_daily():
    jobs = {job.key: job for job in periodic_jobs()}
    assert jobs["core.analyze"].every_minutes == 24 * 60


def statistics_rows(table: str) -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        else:
            cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = %s", [table])
        return int(cursor.fetchone()[0])


def test_analyze_writes_statistics(mine):
    assert refresh_statistics() == connection.vendor
    assert statistics_rows("orgs_partyorg") > 0
    assert statistics_rows("people_person") > 0


def test_deploy_check_warns_when_autovacuum_is_off(mine):
    from dangjian.core.checks import check_autovacuum

    messages = check_autovacuum()
    if connection.vendor != "postgresql":
        assert messages == []
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        setting = cursor.fetchone()[0]
    assert [m.id for m in messages] == ([] if setting == "on" else ["dangjian.W003"])
