"""Events become messages through the outbox subscriber: who hears what, preferences (quiet hours except
emergencies, digest, opt-out), idempotent on redelivery, the burden meter's count."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from gongzhi.cases import services as cases
from gongzhi.core import events
from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Event
from gongzhi.notify import services
from gongzhi.notify.models import Message, Preference, RatingLink
from gongzhi.notify.subscribers import NAME


def local(h: int, m: int = 0, days: int = 0) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(h, m)))


def plan(now=None) -> int:
    """Hand the subscriber its events (as the dispatcher does), planned as of ``now``."""
    if now is None:
        return events.dispatch_pending([NAME])
    pending = list(Event.objects.filter(type__in=services.EVENT_TYPES).order_by("seq"))
    return services.plan_for_events(SYSTEM, pending, now=now)


def test_request_steps_reach_the_reporter_and_the_handling_unit(request_flow, staff, console_file):
    req = request_flow.make()
    events.dispatch_pending([NAME])
    by_template = {}
    for m in Message.objects.all():
        by_template.setdefault(m.template, []).append(m)
    assert [m.address for m in by_template["request_accepted"]] == ["13812345678"]
    assert by_template["request_accepted"][0].recipient == f"r:{req.number}"
    dispatched = by_template["request_dispatched"]
    assert {(m.user_id, m.channel, m.address) for m in dispatched} == {(staff.pk, "sms", "13900000001")}
    assert dispatched[0].asks_action and req.number in dispatched[0].params["number"]

    cases.start(SYSTEM, req)
    cases.resolve(SYSTEM, req, resolution="已清运")
    events.dispatch_pending([NAME])
    resolved = Message.objects.get(template="request_resolved")
    assert resolved.address == "13812345678" and "/notify/rate/" in resolved.params["url"]
    assert RatingLink.objects.filter(request=req).count() == 1

    sent = services.send_due(SYSTEM, now=local(12))
    assert sent == {"sent": Message.objects.count()}
    lines = [json.loads(x) for x in console_file.read_text(encoding="utf-8").splitlines()]
    assert any("已办结" in x["text"] and "/notify/rate/" in x["text"] for x in lines)


def test_redelivery_plans_nothing_twice(request_flow, console_file):
    request_flow.make()
    events.dispatch_pending([NAME])
    n = Message.objects.count()
    assert n >= 2
    evs = list(Event.objects.filter(type__in=services.EVENT_TYPES).order_by("seq"))
    assert services.plan_for_events(SYSTEM, evs) == 0  # the same events again: nothing new
    events.dispatch_pending([NAME], rescan=True)
    assert Message.objects.count() == n
    assert len({m.key for m in Message.objects.all()}) == n


def test_quiet_hours_defer_until_morning(request_flow, console_file):
    request_flow.make()
    plan(now=local(23))
    msgs = list(Message.objects.all())
    assert msgs and all(m.next_attempt_at == local(7, days=1) for m in msgs)
    assert services.send_due(SYSTEM, now=local(23, 30)) == {}
    assert services.send_due(SYSTEM, now=local(7, 0, days=1)) == {"sent": len(msgs)}


def test_own_quiet_hours_and_none(request_flow, staff, console_file):
    services.set_preference(staff, staff, quiet_start=dt.time(12), quiet_end=dt.time(14))
    request_flow.make()
    plan(now=local(13))
    mine = Message.objects.get(user=staff)
    assert mine.next_attempt_at == local(14)
    other = Message.objects.exclude(user=staff).first()
    assert other.next_attempt_at is None  # the default quiet hours (22–07) do not hold at 13:00


def test_emergency_is_sent_in_quiet_hours(world, staff, users, console_file):
    """An early-warning alert reaches the command centre on duty at once, also at night and when opted out."""
    from gongzhi.org.models import Person

    services.set_preference(staff, staff, opted_out=True)
    admin = users["district_admin"]
    admin.email = "duty@example.org"
    admin.save()
    Person.objects.create(name="值班员", region=world.district, phone="13900000009", user=admin)
    with __import__("django").db.transaction.atomic():
        events.emit(
            "alerts.raised",
            aggregate_type="alert",
            aggregate_id=1,
            payload={
                "kind": "surge",
                "key": "surge:x",
                "severity": 2,
                "observed": 12,
                "expected": 3.5,
                "p_value": 0.001,
                "window": ["2026-12-01", "2026-12-07"],
            },
            region=world.comm_a,
            public=False,
        )
    plan(now=local(23))
    msgs = list(Message.objects.filter(template="alert_raised"))
    assert {m.user_id for m in msgs} == {staff.pk, admin.pk}
    assert all(m.emergency and m.next_attempt_at is None and m.status == "queued" for m in msgs)
    assert services.send_due(SYSTEM, now=local(23, 1)) == {"sent": 2}


def test_opt_out_stops_ordinary_messages(request_flow, staff, console_file):
    services.set_preference(staff, staff, opted_out=True)
    request_flow.make()
    plan()
    assert not Message.objects.filter(user=staff).exists()
    assert Message.objects.filter(template="request_accepted").exists()  # others still hear


def test_digest_for_busy_roles(request_flow, staff, console_file):
    services.set_preference(staff, staff, digest=True, channels=["email"])
    request_flow.make()
    request_flow.make()
    plan(now=local(12))
    held = list(Message.objects.filter(user=staff))
    assert len(held) == 2 and all(m.status == "held" and m.channel == "email" for m in held)
    assert services.send_due(SYSTEM, now=local(12)) == {"sent": 2}  # the two reporters' only
    assert services.send_digests(SYSTEM, now=local(13)) == 1
    digest = Message.objects.get(template="digest")
    assert digest.params["count"] == 2 and digest.asks_action and digest.address == "street@example.org"
    assert set(Message.objects.filter(user=staff, template="request_dispatched").values_list("status", flat=True)) == {
        "digested"
    }
    assert services.send_due(SYSTEM, now=local(13)) == {"sent": 1}
    lines = [json.loads(x) for x in console_file.read_text(encoding="utf-8").splitlines()]
    assert sum(1 for x in lines if x["to"] == "street@example.org") == 1
    assert services.send_digests(SYSTEM, now=local(14)) == 0


def test_channels_follow_preferences_and_addresses(request_flow, staff, console_file):
    from gongzhi.notify.models import Preference

    services.set_preference(staff, staff, channels=["wechat", "email", "sms"])  # no OpenID: no WeChat message
    request_flow.make()
    plan()
    assert set(Message.objects.filter(user=staff).values_list("channel", flat=True)) == {"email", "sms"}
    assert Preference.objects.get(user=staff).channels == ["wechat", "email", "sms"]


def test_language_of_the_recipient(request_flow, staff, console_file):
    services.set_preference(staff, staff, language="en", channels=["email"])
    request_flow.make()
    plan()
    m = Message.objects.get(user=staff)
    assert m.language == "en"
    subject, _text = services.texts.render(m.template, m.params, m.language)
    assert subject in ("新派单", "New dispatch")  # English once the lead has compiled the catalogue


def test_messages_that_ask_a_worker_to_act_are_counted_by_the_burden_meter(request_flow, staff, console_file):
    from gongzhi.burden.models import DemandItem

    req = request_flow.make()
    plan()
    items = list(DemandItem.objects.filter(source_ref__startswith="notify:"))
    assert len(items) == 1
    item = items[0]
    assert item.worker.user_id == staff.pk and item.unit_id == request_flow.unit.pk and item.minutes == 2
    assert item.demand.platform_key == "notify_action"
    # the reporter's message asks no worker to act; a redelivery counts nothing twice
    events.dispatch_pending([NAME], rescan=True)
    assert DemandItem.objects.filter(source_ref__startswith="notify:").count() == 1
    assert req.number


def test_escalation_reaches_the_level_above_and_the_handler(request_flow, staff, world, users, console_file):
    from gongzhi.org.models import Person

    req = request_flow.make()
    admin = users["district_admin"]
    Person.objects.create(name="区管理员", region=world.district, phone="13900000002", user=admin)
    cases.escalate(SYSTEM, req, reason="超期")
    plan()
    overdue = list(Message.objects.filter(template="request_overdue"))
    assert {m.user_id for m in overdue} >= {admin.pk, staff.pk}
    assert all(m.asks_action for m in overdue)


def test_set_preference_refuses_others_and_bad_input(staff, users):
    from gongzhi.core.errors import DomainError, Forbidden

    with pytest.raises(Forbidden):
        services.set_preference(users["district_admin"], staff, digest=True)
    with pytest.raises(DomainError) as e:
        services.set_preference(staff, staff, channels=["fax"])
    assert e.value.field == "channels"
    with pytest.raises(DomainError) as e:
        services.set_preference(staff, staff, quiet_start=dt.time(22))
    assert e.value.field == "quiet_start"
    assert not Preference.objects.filter(user=staff).exists()
