"""The home page's figures cached per data scope (docs/decisions.md, "Home page at scale")."""

from __future__ import annotations

from django.db import models

from dangjian.core.scope import ScopeSpec


class HomeSnapshot(models.Model):
    """The business home page's key figures and rule warnings, computed once per data scope.

    Same design as ``people.AnalyticsSnapshot``: ``scope_key`` is the digest of the viewer's
    scope predicates (``people.analytics.scope_key``), so only users who see exactly the same
    rows share a row; ``version`` names the data it was computed from. Kept in the database, so
    every server process sees it and a rolled-back write rolls it back too. Never shown
    directly: read only for a user whose scope digest it carries.
    """

    scope_key = models.CharField(max_length=64, unique=True)
    version = models.CharField(max_length=300)
    computed_at = models.DateTimeField()
    data = models.JSONField(default=dict)

    scope = ScopeSpec()  # no organisation of its own: keyed by the reader's scope digest

    class Meta:
        verbose_name = "首页数据缓存"
        verbose_name_plural = "首页数据缓存"

    def __str__(self) -> str:
        return f"{self.scope_key[:8]} @ {self.computed_at}"
