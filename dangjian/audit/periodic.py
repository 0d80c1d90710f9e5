"""The audit retention purge once a day (AUD-05): events older than the retention period
(never below 184 days) go, and the purge itself is recorded on the chain."""

from __future__ import annotations

from dangjian.core.registries import register_periodic


@register_periodic("audit.purge", every_minutes=24 * 60)
def purge_daily() -> None:
    from dangjian.audit.services import audit_purge
    from dangjian.core.context import acting_as
    from dangjian.core.scope import SYSTEM

    with acting_as(SYSTEM, channel="system"):
        audit_purge(actor=SYSTEM)
