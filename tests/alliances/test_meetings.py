"""The 1142 mechanism: 1 kick-off, ≥1 progress a month, 4 scheduling, 2 summary; recorded once; compliance."""

import datetime as dt

import pytest

from gongzhi.alliances import services as S
from gongzhi.alliances.models import Attendance, Meeting
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError

D = dt.date


def test_required_schedule_is_1142():
    slots = S.required_schedule(2025)
    kinds = [k for k, _, _ in slots]
    assert (kinds.count("kickoff"), kinds.count("progress"), kinds.count("scheduling"), kinds.count("summary")) == (
        1,
        12,
        4,
        2,
    )
    due = {(k, p): d for k, p, d in slots}
    assert due[("kickoff", 0)] == D(2025, 1, 31)
    assert due[("progress", 2)] == D(2025, 2, 28)
    assert [due[("scheduling", q)] for q in (1, 2, 3, 4)] == [
        D(2025, 3, 31),
        D(2025, 6, 30),
        D(2025, 9, 30),
        D(2025, 12, 31),
    ]
    assert [due[("summary", h)] for h in (1, 2)] == [D(2025, 6, 30), D(2025, 12, 31)]
    assert S.required_schedule(2024)[2][2] == D(2024, 2, 29)


def test_recorded_once_with_signin_code_and_list(units, alliance):
    m = alliance.meetings.get(kind="kickoff", year=2025)
    code = S.open_signin(m, actor=SYSTEM)
    assert len(code) == 6 and S.open_signin(m, actor=SYSTEM) == code
    with pytest.raises(DomainError):
        S.sign_in(m, units.school, code="wrong", actor=SYSTEM)
    S.sign_in(m, units.school, code=code, attendee="张老师", actor=SYSTEM)
    with pytest.raises(DomainError):  # a non-member cannot sign in
        S.sign_in(m, units.hospital, code=code, actor=SYSTEM)
    with pytest.raises(DomainError) as e:
        S.record_meeting(
            m, held_on=D(2025, 1, 20), minutes="", attendees=[units.comm_party], on=D(2025, 1, 21), actor=SYSTEM
        )
    assert e.value.field == "minutes"
    S.record_meeting(
        m,
        held_on=D(2025, 1, 20),
        minutes="议定三张清单",
        decisions="成立护学岗",
        attendees=[units.comm_party],
        suggestions=[(units.property, "开放活动室")],
        on=D(2025, 1, 21),
        actor=SYSTEM,
    )
    m.refresh_from_db()
    assert not m.late and m.recorded_on == D(2025, 1, 21)
    assert dict(Attendance.objects.filter(meeting=m).values_list("unit_id", "method")) == {
        units.school.pk: "code",
        units.comm_party.pk: "list",
    }
    assert m.suggestions.get().unit == units.property
    with pytest.raises(Conflict):
        S.record_meeting(
            m,
            held_on=D(2025, 1, 20),
            minutes="again",
            attendees=[units.comm_party, units.school],
            on=D(2025, 1, 22),
            actor=SYSTEM,
        )
    with pytest.raises(Conflict):
        S.sign_in(m, units.property, code=code, actor=SYSTEM)
    assert not any(
        f.get_internal_type() in ("FileField", "ImageField")
        for f in Meeting._meta.get_fields()
        if hasattr(f, "get_internal_type")
    )


def test_meeting_needs_two_member_units(units, alliance):
    m = alliance.meetings.get(kind="scheduling", year=2025, period=1)
    with pytest.raises(DomainError) as e:
        S.record_meeting(
            m, held_on=D(2025, 3, 20), minutes="m", attendees=[units.school], on=D(2025, 3, 21), actor=SYSTEM
        )
    assert e.value.field == "attendees"
    with pytest.raises(DomainError) as e:
        S.record_meeting(
            m,
            held_on=D(2025, 3, 20),
            minutes="m",
            attendees=[units.school, units.hospital],
            on=D(2025, 3, 21),
            actor=SYSTEM,
        )
    assert units.hospital.name in e.value.message
    assert Meeting.objects.get(pk=m.pk).held_on is None


def test_late_meetings_and_late_records_are_flagged(units, alliance):
    both = [units.comm_party, units.school]
    feb = alliance.meetings.get(kind="progress", year=2025, period=2)
    S.record_meeting(
        feb, held_on=D(2025, 3, 3), minutes="m", attendees=both, on=D(2025, 3, 4), late_reason="春节推迟", actor=SYSTEM
    )
    mar = alliance.meetings.get(kind="progress", year=2025, period=3)
    S.record_meeting(mar, held_on=D(2025, 3, 10), minutes="m", attendees=both, on=D(2025, 4, 20), actor=SYSTEM)
    apr = alliance.meetings.get(kind="progress", year=2025, period=4)
    S.record_meeting(apr, held_on=D(2025, 4, 10), minutes="m", attendees=both, on=D(2025, 4, 12), actor=SYSTEM)
    assert [Meeting.objects.get(pk=x.pk).late for x in (feb, mar, apr)] == [True, True, False]
    c = S.compliance(alliance, 2025, today=D(2025, 5, 15))
    st = {(r["meeting"].kind, r["meeting"].period): r["status"] for r in c["rows"]}
    assert st[("kickoff", 0)] == "missing" and st[("progress", 1)] == "missing"
    assert st[("progress", 2)] == "late" and st[("progress", 3)] == "late" and st[("progress", 4)] == "done"
    assert st[("progress", 5)] == "upcoming" and st[("scheduling", 1)] == "missing"
    assert c["counts"] == {
        "required": 19,
        "done": 1,
        "late": 2,
        "missing": 3,
        "upcoming": 13,
        "extra": 0,
        "rate": round(100 / 6, 1),
    }
    S.record_meeting(
        alliance=alliance,
        kind="progress",
        held_on=D(2025, 4, 25),
        minutes="extra",
        attendees=both,
        on=D(2025, 4, 25),
        actor=SYSTEM,
    )
    assert S.compliance(alliance, 2025, today=D(2025, 5, 15))["counts"]["extra"] == 1


def test_progress_meeting_needs_a_supply_demand_pair(units, alliance):
    need = S.add_list_item(alliance, year=2025, kind="need", title="场地", unit=units.school, actor=SYSTEM)
    S.add_list_item(alliance, year=2025, kind="resource", title="活动室", unit=units.property, meets=need, actor=SYSTEM)
    m = alliance.meetings.get(kind="progress", year=2025, period=1)
    with pytest.raises(DomainError) as e:
        S.record_meeting(
            m,
            held_on=D(2025, 1, 25),
            minutes="m",
            attendees=[units.comm_party, units.firms[0]],
            on=D(2025, 1, 25),
            actor=SYSTEM,
        )
    assert e.value.code == "no_supply_demand" and units.school.name in e.value.message
    S.record_meeting(
        m,
        held_on=D(2025, 1, 25),
        minutes="m",
        attendees=[units.school, units.property],
        on=D(2025, 1, 25),
        actor=SYSTEM,
    )


def test_street_compliance(world, units, alliance):
    from .conftest import found

    other = found(units.village_party, [units.state_firm], name="村企联合体")
    rows = S.street_compliance([alliance, other], 2025, today=D(2025, 2, 15))
    by = {r["street"].code: r for r in rows}
    assert by[world.street_a.code]["alliances"] == 1 and by[world.street_a.code]["missing"] == 2
    assert by[world.street_b.code]["missing"] == 2 and by[world.street_b.code]["rate"] == 0.0
