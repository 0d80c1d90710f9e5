"""Give the roles the survey permissions (min respondents: rule assessment.survey_min_respondents)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from dangjian.accounts.roles import seed_roles
    from dangjian.core.rules import seed_rules

    seed_rules(apps.get_model("core", "Rule"))
    seed_roles(apps.get_model("accounts", "Role"))


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("accounts", "0006_seed_rules_mfa"),
        ("core", "0003_seed_rules_api"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
