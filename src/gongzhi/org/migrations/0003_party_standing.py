# Issue 20, item 3: a person's party standing and relation, the unit a party organisation covers.

import django.db.models.deletion
from django.db import migrations, models

PRIMARY = ("party_township", "party_community", "party_compound", "party_village", "party_branch", "party_grid")


def backfill(apps, schema_editor):
    """Until now a person's standing was only implied by memberships: an active full-member
    membership of a party organisation made a full member, a probationary one a probationary member.
    The relation: the deepest primary organisation among those memberships."""
    Person = apps.get_model("org", "Person")
    Membership = apps.get_model("org", "Membership")
    rows = (
        Membership.objects.filter(end_date__isnull=True, role__in=("full_member", "probationary_member"))
        .values_list("person_id", "role", "unit_id", "unit__kind", "unit__depth")
        .order_by("person_id")
    )
    status: dict[int, str] = {}
    relation: dict[int, tuple[int, int]] = {}
    for pid, role, unit_id, kind, depth in rows.iterator():
        if role == "full_member":
            status[pid] = "full"
        else:
            status.setdefault(pid, "probationary")
        if kind in PRIMARY and (pid not in relation or depth > relation[pid][0]):
            relation[pid] = (depth, unit_id)
    for value in ("full", "probationary"):
        ids = [pid for pid, s in status.items() if s == value]
        for k in range(0, len(ids), 500):
            Person.objects.filter(pk__in=ids[k : k + 500]).update(party_status=value)
    for pid, (_depth, unit_id) in relation.items():
        Person.objects.filter(pk=pid).update(party_relation_id=unit_id)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_grid_assignment_unique_region"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="party_relation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="held_relations",
                to="org.unit",
                verbose_name="组织关系所在党组织",
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="party_status",
            field=models.CharField(
                blank=True,
                choices=[("", "群众"), ("probationary", "预备党员"), ("full", "正式党员")],
                default="",
                max_length=12,
                verbose_name="政治面貌",
            ),
        ),
        migrations.AddField(
            model_name="unit",
            name="host",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="party_orgs",
                to="org.unit",
                verbose_name="所在单位",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
