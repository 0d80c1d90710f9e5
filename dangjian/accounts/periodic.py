"""Account housekeeping on a schedule: accounts unused for ``security.inactive_account_days``
are disabled (AC-06), and expired sessions nobody presents again are deleted with their
``UserSession`` rows (RIP-01; a presented one is deleted at once by the session store)."""

from __future__ import annotations

from dangjian.core.registries import register_periodic


@register_periodic("accounts.disable_inactive", every_minutes=24 * 60)
def disable_inactive_daily() -> None:
    from dangjian.accounts.services import disable_inactive
    from dangjian.core.context import acting_as
    from dangjian.core.scope import SYSTEM

    with acting_as(SYSTEM, channel="system"):
        disable_inactive(actor=SYSTEM)


@register_periodic("accounts.clear_sessions", every_minutes=60)
def clear_expired_sessions() -> None:
    from dangjian.accounts.services import sessions_clear_expired

    sessions_clear_expired()
