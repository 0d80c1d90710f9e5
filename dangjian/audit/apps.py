from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_triggers(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """Reinstall the append-only triggers (SQLite drops them when a table is rebuilt)."""
    from django.db import connections

    from dangjian.audit.db import TABLE, install_triggers

    connection = connections[using]
    if TABLE in connection.introspection.table_names() and (
        "audit_purgeflag" in connection.introspection.table_names()
    ):
        install_triggers(connection)


class AuditConfig(AppConfig):
    name = "dangjian.audit"
    label = "audit"
    verbose_name = "安全审计"

    def ready(self) -> None:
        from dangjian.audit import exports, periodic  # noqa: F401  (export, daily purge)

        post_migrate.connect(_ensure_triggers, sender=self, dispatch_uid="audit_triggers")
