"""Seed the MFA and anomaly-alert rules (security.mfa_*, security.export_alert_per_hour)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from dangjian.core.rules import seed_rules

    seed_rules(apps.get_model("core", "Rule"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_mfa"), ("core", "0003_seed_rules_api")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
