"""Pages render through the permission scope and change state only through the services."""

import datetime as dt

import pytest

from gongzhi.alliances import rating as RT
from gongzhi.alliances import services as S
from gongzhi.alliances.models import Alliance, Meeting
from gongzhi.core.actors import SYSTEM


@pytest.fixture
def client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_list_detail_and_unit_pages(units, users, alliance, client_for):
    c = client_for(users["street_cadre"])
    r = c.get("/alliances/")
    assert r.status_code == 200 and alliance.name in r.content.decode()
    r = c.get(f"/alliances/{alliance.code}/?year=2025")
    html = r.content.decode()
    assert r.status_code == 200 and units.school.name in html and "meeting-calendar" in html
    assert html.count('class="meeting-') == 19
    r = c.get(f"/alliances/unit/{units.school.code}/")
    assert r.status_code == 200 and alliance.name in r.content.decode()
    other = client_for(users["other_street_cadre"])
    assert other.get(f"/alliances/{alliance.code}/").status_code == 404
    assert alliance.name not in other.get("/alliances/").content.decode()


def test_apply_form_marks_the_field_and_changes_nothing(units, users, client_for):
    c = client_for(users["community_cadre"])
    r = c.post(
        "/alliances/apply/",
        {
            "lead_unit": units.comm_party.code,
            "name": "X",
            "kind": "cross_region",
            "purpose": "p",
            "members": units.school.code,
        },
    )
    assert r.status_code == 200 and "field-error" in r.content.decode()
    assert not Alliance.objects.exists()
    r = c.post(
        "/alliances/apply/",
        {
            "lead_unit": units.comm_party.code,
            "name": "X",
            "kind": "cross_domain",
            "purpose": "p",
            "members": f"{units.school.code}，NOPE",
        },
    )
    assert "NOPE" in r.content.decode() and not Alliance.objects.exists()
    r = c.post(
        "/alliances/apply/",
        {
            "lead_unit": units.comm_party.code,
            "name": "X",
            "kind": "cross_domain",
            "purpose": "p",
            "members": units.school.code,
        },
    )
    a = Alliance.objects.get()
    assert r.status_code == 302 and a.status == "applied"
    s = client_for(users["street_cadre"])
    assert a.name in s.get("/alliances/inbox/").content.decode()
    s.post(f"/alliances/{a.code}/decide/", {"decision": "approve", "reason": "同意"})
    a.refresh_from_db()
    assert a.status == "established"


def test_record_meeting_page_and_quarter_drilldown(units, users, alliance, client_for):
    c = client_for(users["street_cadre"])
    m = alliance.meetings.get(kind="kickoff")
    r = c.post(
        f"/alliances/{alliance.code}/meetings/{m.pk}/",
        {"held_on": "2025-01-20", "minutes": "", "attendees": [units.comm_party.pk, units.school.pk]},
    )
    assert "field-error" in r.content.decode()
    r = c.post(
        f"/alliances/{alliance.code}/meetings/{m.pk}/",
        {"held_on": "2025-01-20", "minutes": "纪要", "attendees": [units.comm_party.pk, units.school.pk]},
    )
    assert r.status_code == 302 and Meeting.objects.get(pk=m.pk).late  # recorded long after: flagged
    c.post(f"/alliances/{alliance.code}/points/2025/1/", {"action": "compute"})
    r = c.get(f"/alliances/{alliance.code}/points/2025/1/?unit={units.school.code}")
    html = r.content.decode()
    assert "drilldown" in html and "年初启动会" in html
    RT.close_quarter(alliance, 2025, 1, actor=SYSTEM)
    c.post(
        f"/alliances/{alliance.code}/points/2025/1/",
        {"action": "correct", "unit": units.school.code, "dimension": "tasks", "points": "3", "reason": "补记任务完成"},
    )
    r = c.get(f"/alliances/{alliance.code}/points/2025/1/?unit={units.school.code}")
    assert "补记任务完成" in r.content.decode()
    assert c.get(f"/alliances/{alliance.code}/review/2025/").status_code == 200


def test_funds_page_refuses_overspending(units, users, alliance, client_for):
    c = client_for(users["street_cadre"])
    S.record_income(alliance, source="party_fees", amount=100, on=dt.date(2025, 2, 1), actor=SYSTEM)
    proj = S.add_list_item(alliance, year=2025, kind="project", title="p", unit=units.comm_party, actor=SYSTEM)
    r = c.post(
        f"/alliances/{alliance.code}/funds/",
        {"direction": "spending", "project": proj.pk, "amount": "500", "entered_on": "2025-03-01", "note": "x"},
        follow=True,
    )
    assert "余额不足" in r.content.decode()
    assert S.balance(alliance) == 100


def test_membership_page_records_special_approval(units, users, client_for):
    from gongzhi.alliances.models import AllianceMember

    from .conftest import found

    alls = [
        found(lead, [units.school], name=f"联合体{i}")
        for i, lead in enumerate([units.hospital, units.firms[0], units.firms[1]])
    ]
    fourth = found(units.social, [units.property], name="第四个")
    m = S.invite(fourth, units.school, actor=SYSTEM)
    c = client_for(users["street_cadre"])
    r = c.get(f"/alliances/membership/{m.pk}/")
    assert all(a.name in r.content.decode() for a in alls)
    r = c.post(f"/alliances/membership/{m.pk}/", {"accept": "yes", "special_justification": ""})
    assert "field-error" in r.content.decode() and AllianceMember.objects.get(pk=m.pk).status == "pending"
    r = c.post(f"/alliances/membership/{m.pk}/", {"accept": "yes", "special_justification": "校园周边综合治理专项"})
    assert r.status_code == 302
    m.refresh_from_db()
    assert m.beyond_cap and m.special_justification == "校园周边综合治理专项"
    assert "特批" in c.get(f"/alliances/unit/{units.school.code}/").content.decode()


def test_inbox_for_roles_without_approval(users, alliance, client_for):
    c = client_for(users["community_cadre"])
    r = c.get("/alliances/inbox/")
    assert r.status_code == 200 and "没有待审批的申请" in r.content.decode()
    r = client_for(users["auditor"]).get("/alliances/")
    assert r.status_code == 200 and alliance.name in r.content.decode() and "申请成立联合体" not in r.content.decode()
