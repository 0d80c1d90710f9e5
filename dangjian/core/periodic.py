"""Core periodic jobs: delete export files past their time to live (PI-05, RIP-02); keep the
SQLite query planner's statistics current."""

from __future__ import annotations

from dangjian.core.registries import register_periodic


@register_periodic("core.purge_exports", every_minutes=60)
def purge_exports() -> None:
    from dangjian.core.exports import export_purge

    export_purge()


def sqlite_analyze() -> bool:
    """Refresh SQLite's planner statistics (``ANALYZE``); nothing on PostgreSQL (autovacuum does
    it). Without statistics SQLite may drive a query from a weak index: at 50,000
    organisations the person list's group choices scanned every party group through the
    (kind, dissolved_on) index instead of the path range (docs/performance.md)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True


@register_periodic("core.sqlite_analyze", every_minutes=24 * 60)
def sqlite_analyze_daily() -> None:
    sqlite_analyze()
