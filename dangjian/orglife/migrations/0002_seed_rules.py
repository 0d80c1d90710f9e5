"""Seed the meeting-type rule table, the orglife key/value rules and the roles' permissions."""

from django.db import migrations


def seed(apps, schema_editor):
    from dangjian.accounts.roles import seed_roles
    from dangjian.core.rules import seed_rules
    from dangjian.orglife.rules import seed_meeting_types

    seed_meeting_types(apps.get_model("orglife", "MeetingType"))
    seed_rules(apps.get_model("core", "Rule"))
    seed_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("orglife", "0001_initial"),
        ("core", "0003_seed_rules_api"),
        ("accounts", "0004_sessions_locks"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
