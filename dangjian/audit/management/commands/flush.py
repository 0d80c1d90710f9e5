"""``flush`` (wipe every table) that also works with the audit table's DELETE trigger.

On SQLite Django's flush is ``DELETE FROM`` each table, which the append-only trigger refuses;
this empties the audit table first through the purge door, then runs Django's flush. (On
PostgreSQL flush uses TRUNCATE, which the row trigger does not see.) Wiping a whole database
is a deliberate re-initialisation (tests, ``demo --reset``), not a way to edit the trail.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from dangjian.audit.db import TABLE, allow_purge_delete


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        alias = options.get("database") or DEFAULT_DB_ALIAS
        connection = connections[alias]
        if (
            connection.vendor == "sqlite"
            and options.get("interactive") is False
            and TABLE in connection.introspection.table_names()
        ):
            with transaction.atomic(using=alias):
                allow_purge_delete(connection, True)
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM audit_auditevent")
                allow_purge_delete(connection, False)
        super().handle(**options)
