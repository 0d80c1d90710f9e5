"""Seed the export rate rule (security.exports_per_hour, IN-06)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from dangjian.core.rules import seed_rules

    seed_rules(apps.get_model("core", "Rule"))


class Migration(migrations.Migration):
    dependencies = [("core", "0003_seed_rules_api")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
