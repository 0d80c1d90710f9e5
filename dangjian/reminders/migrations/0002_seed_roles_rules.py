from django.db import migrations


def forwards(apps, schema_editor):
    from dangjian.accounts.roles import seed_roles
    from dangjian.core.rules import seed_rules

    seed_roles(apps.get_model("accounts", "Role"))  # reminders/transfers permissions
    seed_rules(apps.get_model("core", "Rule"))  # lapse, lost-contact, letter validity


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
        ("accounts", "0004_sessions_locks"),
        ("core", "0003_seed_rules_api"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
