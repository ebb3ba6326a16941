"""Event types named after their app (issue 22): ``alliance.*`` -> ``alliances.*`` and ``pool.*`` ->
``resources.*`` for the events already in the outbox, so subscribers that have not handled them yet
find them under the declared names. Entries already in the public ledger keep the bytes they were
published with (their type inside is what was true then)."""

from django.db import migrations

RENAMED = {
    'alliance.activity.recorded': 'alliances.activity.recorded',
    'alliance.applied': 'alliances.applied',
    'alliance.approved': 'alliances.approved',
    'alliance.fund.recorded': 'alliances.fund.recorded',
    'alliance.goal.approved': 'alliances.goal.approved',
    'alliance.goal.rejected': 'alliances.goal.rejected',
    'alliance.lists.agreed': 'alliances.lists.agreed',
    'alliance.meeting.recorded': 'alliances.meeting.recorded',
    'alliance.member.declined': 'alliances.member.declined',
    'alliance.member.exited': 'alliances.member.exited',
    'alliance.member.joined': 'alliances.member.joined',
    'alliance.member.removed': 'alliances.member.removed',
    'alliance.member.requested': 'alliances.member.requested',
    'alliance.points.published': 'alliances.points.published',
    'alliance.quarter.closed': 'alliances.quarter.closed',
    'alliance.rated': 'alliances.rated',
    'alliance.rejected': 'alliances.rejected',
    'alliance.rules.published': 'alliances.rules.published',
    'alliance.score.corrected': 'alliances.score.corrected',
    'alliance.task.claimed': 'alliances.task.claimed',
    'alliance.task.completed': 'alliances.task.completed',
    'pool.delivered': 'resources.delivered',
    'pool.dispatched': 'resources.dispatched',
    'pool.matched': 'resources.matched',
    'pool.need_cancelled': 'resources.need_cancelled',
    'pool.need_raised': 'resources.need_raised',
    'pool.resource_offered': 'resources.resource_offered',
    'pool.resource_withdrawn': 'resources.resource_withdrawn',
    'pool.response': 'resources.response',
}


def rename(apps, mapping):
    Event = apps.get_model("core", "Event")
    for old, new in mapping.items():
        Event.objects.filter(type=old).update(type=new)


def forwards(apps, schema_editor):
    rename(apps, RENAMED)


def backwards(apps, schema_editor):
    rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("core", "0005_security_log")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]

