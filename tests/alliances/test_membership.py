"""Membership: at most 3 alliances, up to 5 with a recorded special approval; exit and removal keep history."""

import datetime as dt

import pytest

from gongzhi.alliances import services as S
from gongzhi.alliances.models import AllianceMember
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.models import Event

from .conftest import found


@pytest.fixture
def crowded(units):
    """The school in three alliances; two more alliances it is not in."""
    leads = [units.hospital, units.firms[0], units.firms[1], units.social, units.residents, units.comm_party]
    alls = [
        found(lead, [units.school] if i < 3 else [units.property], name=f"联合体{i + 1}")
        for i, lead in enumerate(leads)
    ]
    return alls


def test_fourth_join_is_refused_naming_current_alliances(units, users, crowded):
    m = S.invite(crowded[3], units.school, actor=users["street_cadre"])
    with pytest.raises(DomainError) as e:
        S.accept_membership(m, actor=users["street_cadre"])
    msg = e.value.message
    assert e.value.code == "alliance_cap"
    for a in crowded[:3]:
        assert a.name in msg
    assert "3" in msg and "特批" in msg
    assert AllianceMember.objects.get(pk=m.pk).status == "pending"


def test_special_approval_records_justification_up_to_five(units, users, crowded):
    m4 = S.invite(crowded[3], units.school, actor=SYSTEM)
    with pytest.raises(Forbidden):  # a community cadre cannot grant the special approval
        S.accept_membership(m4, special_justification="承担学校周边治理专项任务", actor=users["community_cadre"])
    m4 = S.accept_membership(m4, special_justification="承担学校周边治理专项任务", actor=users["street_cadre"])
    assert m4.status == "active" and m4.beyond_cap and m4.special_approved_by == users["street_cadre"]
    assert m4.special_justification == "承担学校周边治理专项任务"
    m5 = S.apply_to_join(crowded[4], units.school, actor=SYSTEM)
    S.accept_membership(m5, special_justification="教育资源共享", actor=users["street_cadre"])
    m6 = S.invite(crowded[5], units.school, actor=SYSTEM)
    with pytest.raises(DomainError) as e:
        S.accept_membership(m6, special_justification="再加一个", actor=users["district_admin"])
    assert "5" in e.value.message and crowded[4].name in e.value.message
    assert S.active_memberships(units.school).count() == 5


def test_exit_frees_a_place_and_keeps_history(units, crowded):
    m = AllianceMember.objects.get(alliance=crowded[0], unit=units.school)
    with pytest.raises(DomainError):
        S.exit_alliance(m, summary="", actor=SYSTEM)
    S.exit_alliance(m, summary="校园周边交通整治任务已完成", on=dt.date(2025, 6, 30), actor=SYSTEM)
    m.refresh_from_db()
    assert m.status == "exited" and m.ended_on == dt.date(2025, 6, 30)
    assert S.active_memberships(units.school).count() == 2
    # now a new join within 3 needs no special approval
    S.accept_membership(S.invite(crowded[3], units.school, actor=SYSTEM), actor=SYSTEM)
    assert AllianceMember.objects.filter(unit=units.school).count() == 4  # history kept
    assert Event.objects.filter(type="alliances.member.exited").count() == 1
    with pytest.raises(Conflict):
        S.exit_alliance(m, summary="again", actor=SYSTEM)


def test_removal_after_review_and_lead_cannot_leave(units, users, alliance):
    m = AllianceMember.objects.get(alliance=alliance, unit=units.firms[0])
    with pytest.raises(Forbidden):
        S.remove_member(m, review="全年未参加活动", actor=users["community_cadre"])
    with pytest.raises(DomainError):
        S.remove_member(m, review=" ", actor=users["street_cadre"])
    S.remove_member(m, review="经评议：全年未参加会议和活动，移出", actor=users["street_cadre"])
    m.refresh_from_db()
    assert m.status == "removed" and "未参加" in m.removal_review
    ev = Event.objects.get(type="alliances.member.removed")
    assert ev.payload["record"]["meetings_attended"] == 0
    lead = AllianceMember.objects.get(alliance=alliance, role="lead")
    with pytest.raises(DomainError):
        S.exit_alliance(lead, summary="完成", actor=SYSTEM)


def test_duplicate_and_declined_requests(units, alliance):
    with pytest.raises(Conflict):
        S.invite(alliance, units.school, actor=SYSTEM)
    m = S.apply_to_join(alliance, units.hospital, actor=SYSTEM)
    S.accept_membership(m, accept=False, actor=SYSTEM)
    assert AllianceMember.objects.get(pk=m.pk).status == "declined"
    m2 = S.apply_to_join(alliance, units.hospital, actor=SYSTEM)
    assert S.accept_membership(m2, actor=SYSTEM).status == "active"


def test_proposing_a_unit_at_the_cap_is_refused(units, crowded):
    with pytest.raises(DomainError) as e:
        S.apply_alliance(
            lead_unit=units.comm_party,
            kind="cross_domain",
            name="新",
            purpose="p",
            members=[units.school],
            actor=SYSTEM,
        )
    assert crowded[0].name in e.value.message
