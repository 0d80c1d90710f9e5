"""Materialised paths compare byte by byte on PostgreSQL too (``orgs.models.PathField``).

Only PostgreSQL's columns change (``COLLATE "C"``; the indexes on them are rebuilt by the
ALTER); SQLite already compares text bytewise, so its tables are left as they are rather than
rebuilt for a change of field class.
"""

from django.db import migrations

import dangjian.orgs.models

TABLES = ("orgs_partyorg", "orgs_unit")


def collate(collation: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        for table in TABLES:
            schema_editor.execute(
                f"ALTER TABLE {quote(table)} ALTER COLUMN {quote('path')} "
                f"TYPE varchar(255) COLLATE {quote(collation)}"
            )

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(collate("C"), collate("default")),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="path",
                    field=dangjian.orgs.models.PathField(
                        db_index=True,
                        default="",
                        editable=False,
                        max_length=255,
                        verbose_name="路径",
                    ),
                )
                for model in ("partyorg", "unit")
            ],
        ),
    ]
