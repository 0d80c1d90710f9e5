"""Seed the dues rule tables (RULES.md defaults with sources), the dues key/value rules and
the dues permissions of the default roles."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from dangjian.accounts.roles import seed_roles
    from dangjian.core.rules import seed_rules
    from dangjian.dues.defaults import seed

    seed(apps)
    seed_rules(apps.get_model("core", "Rule"))
    seed_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("dues", "0001_initial"),
        ("core", "0003_seed_rules_api"),
        ("accounts", "0004_sessions_locks"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
