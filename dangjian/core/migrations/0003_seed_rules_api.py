from django.db import migrations


def forwards(apps, schema_editor):
    from dangjian.core.rules import seed_rules

    seed_rules(apps.get_model("core", "Rule"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_seed_rules")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
