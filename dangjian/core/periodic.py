"""Core periodic jobs: delete export files past their time to live (PI-05, RIP-02)."""

from __future__ import annotations

from dangjian.core.registries import register_periodic


@register_periodic("core.purge_exports", every_minutes=60)
def purge_exports() -> None:
    from dangjian.core.exports import export_purge

    export_purge()
