from django.db import migrations


def create_default_rules(apps, schema_editor):
    import datetime as dt

    from gongzhi.alliances.rules import default_rules

    RuleSet = apps.get_model("alliances", "RuleSet")
    if not RuleSet.objects.exists():
        RuleSet.objects.create(version=1, effective_from=dt.date(2000, 1, 1), rules=default_rules(),
                               note="初始版本：五个维度，满分100分")


class Migration(migrations.Migration):
    dependencies = [("alliances", "0001_initial")]
    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
