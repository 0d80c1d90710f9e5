"""Database session store that removes an expired session row as soon as it is presented.

Django's own store ignores an expired row and leaves it for ``clearsessions``; the 等保
residual-information rule (RIP-01) wants an expired session gone, together with its
``UserSession`` row (deleted by cascade).

``SESSION_SAVE_EVERY_REQUEST`` would otherwise rewrite the session row on every request (a
database write per page view, serialised on SQLite). This store writes a loaded session only
when its data changed; the session policy middleware changes the last-seen time at most once a
minute, so the row's expiry (idle timeout, SESS-01) is still refreshed while the user is
active, to the minute.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.utils import timezone


class SessionStore(DbSessionStore):
    def load(self) -> dict[str, Any]:
        key = self.session_key
        data = super().load()
        if not data and key:
            self.model.objects.filter(session_key=key, expire_date__lte=timezone.now()).delete()
        return data

    def save(self, must_create: bool = False) -> None:
        loaded = getattr(self, "_session_cache", None) is not None
        if not must_create and self.session_key is not None and not self.modified and loaded:
            return  # loaded and unchanged: nothing to write
        super().save(must_create=must_create)
