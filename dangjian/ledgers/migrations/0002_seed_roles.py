"""Give the roles the ledger permissions (view/export) on existing databases."""

from django.db import migrations


def forwards(apps, schema_editor):
    from dangjian.accounts.roles import seed_roles

    seed_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [("ledgers", "0001_initial"), ("accounts", "0004_sessions_locks")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
