"""Generated ledger files are deleted once past ``security.export_ttl_hours`` (PI-05/RIP-02),
also when nobody generates a new one (generation purges too)."""

from __future__ import annotations

from dangjian.core.registries import register_periodic


@register_periodic("ledgers.purge", every_minutes=60)
def purge_ledgers() -> None:
    from dangjian.ledgers.services import ledger_purge

    ledger_purge()
