"""Database session store that removes an expired session row as soon as it is presented.

Django's own store ignores an expired row and leaves it for ``clearsessions``; the 等保
residual-information rule (RIP-01) wants an expired session gone, together with its
``UserSession`` row (deleted by cascade).
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
