"""Keep one plain index on ``Leaf.record``; drop PostgreSQL's ``varchar_pattern_ops`` twin.

The index ``ledger_leaf_record_fc28922b`` that ``db_index=True`` created stays as it is
(same name, same column); only the state moves it to ``Meta.indexes``.  The LIKE index
PostgreSQL added beside it serves no query of the ledger and costs every append.
"""

from django.db import migrations, models


def drop_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('DROP INDEX IF EXISTS "ledger_leaf_record_fc28922b_like"')


def restore_like_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'CREATE INDEX IF NOT EXISTS "ledger_leaf_record_fc28922b_like" ON "ledger_leaf" ("record" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_like_index, restore_like_index)],
            state_operations=[
                migrations.AlterField(
                    model_name="leaf",
                    name="record",
                    field=models.CharField(help_text="对象类型:对象标识", max_length=130, verbose_name="记录"),
                ),
                migrations.AddIndex(
                    model_name="leaf",
                    index=models.Index(fields=["record"], name="ledger_leaf_record_fc28922b"),
                ),
            ],
        )
    ]
