"""Seed the 25 development steps (RULES.md), the development key/value rules, and the roles'
development permissions into existing databases."""

from django.db import migrations


def seed(apps, schema_editor):
    from dangjian.accounts.roles import seed_roles
    from dangjian.core.rules import seed_rules
    from dangjian.development.defaults import seed_steps

    seed_steps(apps.get_model("development", "StepRule"))
    seed_rules(apps.get_model("core", "Rule"))
    seed_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("development", "0001_initial"),
        ("core", "0003_seed_rules_api"),
        ("accounts", "0004_sessions_locks"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
