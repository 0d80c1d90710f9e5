"""Seed the appraisal rule (优秀 ≤ 1/3, floor) and give the roles the appraisal permissions."""

from django.db import migrations


def forwards(apps, schema_editor):
    from dangjian.accounts.roles import seed_roles
    from dangjian.core.rules import seed_rules

    seed_rules(apps.get_model("core", "Rule"))
    seed_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("appraisal", "0001_initial"),
        ("accounts", "0004_sessions_locks"),
        ("core", "0003_seed_rules_api"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
