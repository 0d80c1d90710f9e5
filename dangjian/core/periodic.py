"""Core periodic jobs: delete export files past their time to live (PI-05, RIP-02); keep the
query planner's statistics current; the daily encrypted backup (BAK-01)."""

from __future__ import annotations

from dangjian.core.registries import register_periodic


@register_periodic("core.purge_exports", every_minutes=60)
def purge_exports() -> None:
    from dangjian.core.exports import export_purge

    export_purge()


def refresh_statistics() -> str:
    """Refresh the query planner's statistics (``ANALYZE``) after bulk loads and daily.

    SQLite keeps none of its own: without them it drove the person list's group choices from a
    weak index at 50,000 organisations (docs/performance.md). PostgreSQL's autovacuum normally
    keeps them, but it may be switched off (it was on the benchmark server) and it lags behind
    a bulk load: at 1M persons without statistics the person list's count scanned the whole
    table, 190 ms instead of 0.06 ms (docs/performance.md, fourth round). ``ANALYZE`` samples a
    bounded number of rows per table and blocks neither reads nor writes. Returns the vendor."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return str(connection.vendor)


@register_periodic("core.analyze", every_minutes=24 * 60)
def analyze_daily() -> None:
    refresh_statistics()


@register_periodic("core.backup", every_minutes=60)
def backup_daily() -> None:
    """Hourly look, one backup a day (``core.backup.backup_daily`` skips while the newest is
    younger than 23 hours), so a restart neither skips nor repeats the day's backup."""
    from dangjian.core.backup import backup_daily as run
    from dangjian.core.scope import SYSTEM

    run(actor=SYSTEM)
