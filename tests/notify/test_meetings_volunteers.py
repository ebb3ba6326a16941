"""Meetings due (1142) remind the lead unit; a pool need asking for certificates reaches the volunteers
whose valid certificates meet it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from gongzhi.core import events
from gongzhi.core.actors import SYSTEM
from gongzhi.notify import services
from gongzhi.notify.models import Message
from gongzhi.notify.subscribers import NAME
from gongzhi.org.models import Person, StaffRole, Unit


def test_meeting_due_reminds_the_lead_unit_once(world, users, console_file):
    from gongzhi.alliances import services as S
    from gongzhi.alliances.models import Meeting
    from gongzhi.burden.models import DemandItem

    a, comm = world.street_a, world.comm_a
    lead = Unit.objects.filter(region=comm, kind="party_community").first()
    members = [Unit.objects.get(region=a, kind="school"), Unit.objects.get(region=a, kind="hospital")]
    app = S.apply_alliance(
        lead_unit=lead,
        kind="cross_domain",
        name="社区共建联合体",
        purpose="共建共治",
        members=members,
        actor=SYSTEM,
        on=dt.date(2025, 1, 6),
    )
    alliance = S.decide_application(app, approve=True, actor=SYSTEM, on=dt.date(2025, 1, 6))
    cadre = users["community_cadre"]
    cadre.email = "cadre@example.org"
    cadre.save()
    Person.objects.create(name="社区书记", region=comm, phone="13900000003", user=cadre)
    StaffRole.objects.create(user=cadre, unit=lead, role="community_cadre", region=lead.region)
    meeting = (
        Meeting.objects.filter(alliance=alliance, held_on__isnull=True, due_on__isnull=False).order_by("due_on").first()
    )
    assert meeting is not None
    day = meeting.due_on - dt.timedelta(days=2)
    n = services.plan_meetings_due(SYSTEM, today=day)
    msgs = list(Message.objects.filter(template="meeting_due", user=cadre))
    assert n >= 1 and len(msgs) == 1 and msgs[0].asks_action and msgs[0].params["due"] == meeting.due_on.isoformat()
    assert services.plan_meetings_due(SYSTEM, today=day + dt.timedelta(days=1)) == 0  # the next day: not again
    assert DemandItem.objects.filter(source_ref__startswith="notify:m", worker__user=cadre).count() == 1
    # held already: no reminder, however close the due date
    Message.objects.all().delete()
    Meeting.objects.filter(pk=meeting.pk).update(held_on=day)
    services.plan_meetings_due(SYSTEM, today=day)
    assert not Message.objects.filter(template="meeting_due", params__due=meeting.due_on.isoformat()).exists()


def test_need_with_certificates_reaches_matching_volunteers(world, users, console_file):
    from gongzhi.resources import services as R
    from gongzhi.volunteers import services as V

    comm = world.comm_a
    unit = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    bank = V.create_bank(SYSTEM, code="TB-A", name="街道时间银行", region=world.street_a)
    today = timezone.localdate()

    def volunteer(name, phone, certs, with_login=False):
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user(f"v_{phone}", password="x") if with_login else None
        p = Person.objects.create(name=name, region=comm, phone=phone, user=user)
        v = V.register_volunteer(SYSTEM, person=p, bank=bank)
        for i, (field, level, expires) in enumerate(certs):
            V.add_certificate(
                SYSTEM,
                v,
                field=field,
                level=level,
                number=f"{phone}-{i}",
                issued_on=today - dt.timedelta(days=400),
                expires_on=expires,
                verified_by=unit,
            )
        return p

    later = today + dt.timedelta(days=300)
    doctor = volunteer("医生甲", "13700000001", [("medicine", 3, later)], with_login=True)
    volunteer("医生乙", "13700000002", [("medicine", 1, later)])  # level too low
    volunteer("医生丙", "13700000003", [("medicine", 4, today - dt.timedelta(days=1))])  # expired
    lawyer = volunteer("律师", "13700000004", [("law", 2, later), ("medicine", 2, later)])
    volunteer("无证", "13700000005", [])
    from gongzhi.org.models import Grid

    g = Grid.objects.filter(region=comm).order_by("code").first()
    R.raise_need(
        SYSTEM,
        title="社区义诊",
        kind="person",
        quantity=2,
        lon=g.centroid_lon,
        lat=g.centroid_lat,
        certificates={"medicine": 2},
    )
    events.dispatch_pending([NAME])
    msgs = list(Message.objects.filter(template="volunteer_task"))
    assert {m.address for m in msgs} == {"13700000001", "13700000004"}
    by_addr = {m.address: m for m in msgs}
    assert by_addr["13700000001"].user_id == doctor.user_id
    assert by_addr["13700000004"].recipient == f"p:{lawyer.pk}"
    assert "社区义诊" in by_addr["13700000004"].params["title"] and not by_addr["13700000004"].asks_action
    events.dispatch_pending([NAME], rescan=True)
    assert Message.objects.filter(template="volunteer_task").count() == 2
