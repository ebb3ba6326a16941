"""Founding: apply → approve or reject at the township/street level or above → established."""

import datetime as dt

import pytest

from gongzhi.alliances import services as S
from gongzhi.alliances.models import Alliance, AllianceMember, Meeting
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.models import Event

from .conftest import FOUNDED, found


def test_apply_then_approve_establishes_with_members_and_meetings(units, users):
    a = S.apply_alliance(
        lead_unit=units.comm_party,
        kind="cross_domain",
        name="共建联合体",
        purpose="物业与学校共治",
        members=[units.school, units.property],
        initial_needs="停车难",
        actor=users["community_cadre"],
        on=FOUNDED,
    )
    assert a.status == Alliance.Status.APPLIED and not a.members.exists()
    assert Event.objects.filter(type="alliances.applied", aggregate_id=a.code).exists()
    S.decide_application(
        a,
        approve=True,
        approver_unit=units.street_party,
        reason="同意",
        actor=users["street_cadre"],
        on=dt.date(2025, 1, 10),
    )
    a.refresh_from_db()
    assert a.status == Alliance.Status.ESTABLISHED and a.established_on == dt.date(2025, 1, 10)
    roles = dict(a.members.values_list("unit__name", "role"))
    assert roles == {units.comm_party.name: "lead", units.school.name: "member", units.property.name: "member"}
    assert Meeting.objects.filter(alliance=a, year=2025, required=True).count() == 19
    ev = Event.objects.get(type="alliances.approved", aggregate_id=a.code)
    assert ev.public and ev.payload["approver"] == units.street_party.name


def test_rejection_needs_a_reason_and_creates_no_members(units, users):
    a = S.apply_alliance(
        lead_unit=units.comm_party,
        kind="cross_level",
        name="X",
        purpose="p",
        members=[units.school],
        actor=users["community_cadre"],
        on=FOUNDED,
    )
    with pytest.raises(DomainError) as e:
        S.decide_application(a, approve=False, actor=users["street_cadre"])
    assert e.value.field == "reason"
    S.decide_application(a, approve=False, reason="目标不清晰，请补充需求", actor=users["street_cadre"])
    a.refresh_from_db()
    assert a.status == "rejected" and a.decision_reason.startswith("目标不清晰")
    assert not AllianceMember.objects.filter(alliance=a).exists()
    with pytest.raises(Conflict):
        S.decide_application(a, approve=True, actor=users["street_cadre"])


@pytest.mark.parametrize("approver", ["comm_party", "school", "township_party"])
def test_approval_below_or_outside_the_approving_level_is_refused(units, approver):
    a = S.apply_alliance(
        lead_unit=units.comm_party,
        kind="cross_domain",
        name="X",
        purpose="p",
        members=[units.school],
        on=FOUNDED,
        actor=SYSTEM,
    )
    with pytest.raises(DomainError) as e:
        S.decide_application(a, approve=True, approver_unit=getattr(units, approver), actor=SYSTEM)
    assert e.value.code == "approver_level"
    a.refresh_from_db()
    assert a.status == "applied"


def test_district_party_committee_may_approve(units):
    a = S.apply_alliance(
        lead_unit=units.comm_party,
        kind="cross_level",
        name="X",
        purpose="p",
        members=[units.school],
        on=FOUNDED,
        actor=SYSTEM,
    )
    S.decide_application(a, approve=True, approver_unit=units.district_party, on=FOUNDED, actor=SYSTEM)
    assert Alliance.objects.get(pk=a.pk).approver_unit == units.district_party


def test_application_checks(units):
    with pytest.raises(DomainError) as e:
        S.apply_alliance(
            lead_unit=units.comm_party, kind="sideways", name="X", purpose="p", members=[units.school], actor=SYSTEM
        )
    assert e.value.field == "kind"
    with pytest.raises(DomainError) as e:
        S.apply_alliance(
            lead_unit=units.comm_party, kind="cross_domain", name="X", purpose="p", members=[], actor=SYSTEM
        )
    assert e.value.field == "members"
    with pytest.raises(DomainError) as e:
        S.apply_alliance(
            lead_unit=units.comm_party, kind="cross_region", name="X", purpose="p", members=[units.school], actor=SYSTEM
        )
    assert e.value.field == "partner_province"
    a = S.apply_alliance(
        lead_unit=units.comm_party,
        kind="cross_region",
        name="X",
        purpose="p",
        members=[units.school],
        partner_province="河北省",
        partner_unit_name="某县某村党支部",
        actor=SYSTEM,
    )
    assert a.partner_province == "河北省"
    assert Alliance.objects.count() == 1


def test_founding_year_schedule_skips_past_periods(units):
    a = found(units.comm_party, [units.school], on=dt.date(2025, 5, 10))
    kinds = list(Meeting.objects.filter(alliance=a).values_list("kind", "period", "due_on"))
    assert ("kickoff", 0, dt.date(2025, 6, 9)) in kinds
    progress = [p for k, p, _ in kinds if k == "progress"]
    assert progress == list(range(5, 13))
    assert sorted(p for k, p, _ in kinds if k == "scheduling") == [2, 3, 4]
    assert sorted(p for k, p, _ in kinds if k == "summary") == [1, 2]
    assert S.generate_meetings(a, 2026) == 19
    assert S.generate_meetings(a, 2026) == 0
