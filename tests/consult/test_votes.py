"""Formal votes: electorates, secrecy, one person one vote, quorum/threshold presets, methods."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from gongzhi.consult import votes
from gongzhi.consult.models import Ballot, Elector, FollowUp, FormalVote, RollEntry
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.models import Event
from gongzhi.org.models import Membership, Person, Unit

NOW = timezone.now().replace(microsecond=0)
OPEN = NOW - dt.timedelta(hours=1)
CLOSE = NOW + dt.timedelta(hours=1)
AFTER = CLOSE + dt.timedelta(minutes=1)


def make(world, users, method="single", preset="simple_majority", options=("同意", "不同意", "弃权"), **kw):
    kw.setdefault("region", world.comm_a)
    kw.setdefault("electorate", "residents")
    kw.setdefault("actor", users["community_cadre"])
    return votes.create_vote(
        title="小区加装电梯方案",
        method=method,
        options=list(options),
        opens_at=OPEN,
        closes_at=CLOSE,
        preset=preset,
        **kw,
    )


def keys(vote, n):
    return list(vote.electors.order_by("id").values_list("key", flat=True)[:n])


def opt(vote, i):
    return vote.options.order_by("position")[i].id


def test_resident_electorate_is_verified_adults_of_the_community(world, users):
    vote = make(world, users)
    cutoff = votes.adult_cutoff(timezone.localdate(OPEN))
    expected = set(
        Person.objects.filter(region=world.comm_a, is_mobile=False, birth_date__lte=cutoff)
        .exclude(id_number="")
        .values_list("id", flat=True)
    )
    assert expected and {e.person_id for e in vote.electors.all()} == expected
    assert vote.electorate_size == len(expected)
    minors = Person.objects.filter(region=world.comm_a, birth_date__gt=cutoff)
    assert not vote.electors.filter(person__in=minors).exists()
    ev = Event.objects.get(type="consult.vote_opened")
    assert ev.payload["electorate_size"] == len(expected) and ev.public


def test_branch_electorate_is_full_members_only(world, users):
    ms = Membership.objects.filter(
        role="full_member", end_date__isnull=True, region__path__startswith=world.comm_a.path
    )
    unit = ms.first().unit
    vote = make(world, users, electorate="branch", unit=unit)
    full = set(
        Membership.objects.filter(unit=unit, role="full_member", end_date__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    assert {e.person_id for e in vote.electors.all()} == full
    with pytest.raises(DomainError) as e:
        make(world, users, electorate="branch", unit=Unit.objects.filter(kind="residents_committee").first())
    assert e.value.field == "unit"


def test_alliance_electorate_from_member_units(world, users, monkeypatch):
    units = list(Unit.objects.filter(region__path__startswith=world.comm_a.path)[:3])
    monkeypatch.setattr(votes, "alliance_member_unit_ids", lambda aid: [u.id for u in units])
    vote = make(world, users, electorate="alliance", alliance_id=1)
    assert sorted(vote.electors.values_list("unit_id", flat=True)) == sorted(u.id for u in units)
    entry = votes.cast_ballot(vote, [opt(vote, 0)], elector_key=f"u:{units[0].id}", officer=users["community_cadre"])
    assert entry.channel == "in_person"


def test_bad_setup_is_refused(world, users):
    with pytest.raises(DomainError) as e:
        make(world, users, options=["同意"])
    assert e.value.field == "options"
    with pytest.raises(DomainError) as e:
        make(world, users, region=world.street_a, actor=users["street_cadre"])
    assert e.value.field == "region"
    with pytest.raises(DomainError) as e:
        make(world, users, preset="unanimity")
    assert e.value.field == "preset"
    with pytest.raises(Forbidden):
        votes.create_vote(
            title="x",
            region=world.comm_a,
            electorate="residents",
            method="single",
            options=["a", "b"],
            opens_at=OPEN,
            closes_at=CLOSE,
            actor=users["other_street_cadre"],
        )
    assert not FormalVote.objects.exists()


def test_secret_ballot_and_roll(world, users):
    vote = make(world, users)
    k = keys(vote, 2)
    votes.cast_ballot(vote, [opt(vote, 0)], elector_key=k[0], officer=users["grid_worker"])
    person = Person.objects.get(pk=int(k[1][2:]))
    person.user = users["auditor"].__class__.objects.create_user("resident1", password="x")
    person.save()
    votes.cast_ballot(vote, [opt(vote, 1)], voter=person.user)
    ballot_fields = {f.name for f in Ballot._meta.get_fields()}
    assert ballot_fields == {"id", "vote", "choices"}  # no voter, no time
    assert RollEntry.objects.filter(vote=vote).count() == Ballot.objects.filter(vote=vote).count() == 2
    assert set(RollEntry.objects.values_list("channel", flat=True)) == {"online", "in_person"}
    assert votes.turnout(vote) == {"electorate": vote.electorate_size, "voted": 2, "online": 1, "in_person": 1}


def test_one_person_one_vote_across_channels(world, users):
    vote = make(world, users)
    k = keys(vote, 1)[0]
    person = Person.objects.get(pk=int(k[2:]))
    person.user = users["auditor"].__class__.objects.create_user("resident2", password="x")
    person.save()
    votes.cast_ballot(vote, [opt(vote, 0)], voter=person.user)
    with pytest.raises(Conflict) as e:
        votes.cast_ballot(vote, [opt(vote, 1)], elector_key=k, officer=users["community_cadre"])
    assert e.value.code == "already_voted"
    with pytest.raises(Conflict):
        votes.cast_ballot(vote, [opt(vote, 1)], voter=person.user)
    assert Ballot.objects.filter(vote=vote).count() == 1


def test_refusals_with_reasons(world, users):
    vote = make(world, users)
    outsider = Person.objects.filter(region=world.comm_b).exclude(id_number="").first()
    with pytest.raises(Forbidden) as e:
        votes.cast_ballot(vote, [opt(vote, 0)], elector_key=f"p:{outsider.pk}", officer=users["community_cadre"])
    assert e.value.code == "not_member"
    k = keys(vote, 1)[0]
    with pytest.raises(DomainError) as e:
        votes.cast_ballot(vote, [opt(vote, 0)], elector_key=k, officer=users["community_cadre"], at=AFTER)
    assert e.value.code == "closed"
    with pytest.raises(DomainError) as e:
        votes.cast_ballot(
            vote, [opt(vote, 0)], elector_key=k, officer=users["community_cadre"], at=OPEN - dt.timedelta(minutes=1)
        )
    assert e.value.code == "not_open"
    with pytest.raises(DomainError) as e:
        votes.cast_ballot(vote, [opt(vote, 0), opt(vote, 1)], elector_key=k, officer=users["community_cadre"])
    assert e.value.field == "choices"
    with pytest.raises(DomainError):
        votes.cast_ballot(vote, [999999], elector_key=k, officer=users["community_cadre"])
    with pytest.raises(Forbidden):  # a user with no person record cannot vote online
        votes.cast_ballot(vote, [opt(vote, 0)], voter=users["auditor"])
    assert not RollEntry.objects.exists() and not Ballot.objects.exists()


@pytest.mark.parametrize(
    "role, may_enter",
    [
        ("district_admin", True),
        ("street_cadre", True),
        ("community_cadre", True),
        ("grid_worker", True),
        ("department_staff", False),
        ("auditor", False),
        ("other_street_cadre", False),
    ],
)
def test_officer_permission_matrix(world, users, role, may_enter):
    vote = make(world, users)
    k = keys(vote, 1)[0]
    if may_enter:
        votes.cast_ballot(vote, [opt(vote, 0)], elector_key=k, officer=users[role])
        assert RollEntry.objects.get().recorded_by == users[role]
    else:
        with pytest.raises(Forbidden):
            votes.cast_ballot(vote, [opt(vote, 0)], elector_key=k, officer=users[role])


@pytest.mark.parametrize(
    "role, may_manage",
    [
        ("district_admin", True),
        ("street_cadre", True),
        ("community_cadre", True),
        ("grid_worker", False),
        ("department_staff", False),
        ("auditor", False),
        ("other_street_cadre", False),
    ],
)
def test_manage_permission_matrix(world, users, role, may_manage):
    args = dict(
        title="t",
        region=world.comm_a,
        electorate="residents",
        method="single",
        options=["a", "b"],
        opens_at=OPEN,
        closes_at=CLOSE,
        actor=users[role],
    )
    if may_manage:
        assert votes.create_vote(**args).pk
    else:
        with pytest.raises(Forbidden):
            votes.create_vote(**args)


def test_results_hidden_until_close_then_published(world, users):
    vote = make(world, users)
    for k in keys(vote, 3):
        votes.cast_ballot(vote, [opt(vote, 0)], elector_key=k, officer=users["community_cadre"])
    with pytest.raises(Forbidden) as e:
        votes.results(vote)
    assert e.value.code == "results_hidden"
    with pytest.raises(DomainError):
        votes.close_vote(vote, actor=users["community_cadre"])
    out = votes.results(vote, at=AFTER)  # time is up, the job has not run: counted, nothing written
    vote.refresh_from_db()
    assert vote.status == "open" and not out["published"] and out["result"]["present"] == 3
    assert not FollowUp.objects.exists() and not Event.objects.filter(type="consult.vote_tallied").exists()
    assert votes.close_due(at=AFTER - dt.timedelta(days=365)) == []  # not due yet
    assert votes.close_due(at=AFTER) == [vote.pk]
    assert votes.close_due(at=AFTER) == []  # tallied once
    vote.refresh_from_db()
    published = votes.results(vote, at=AFTER)
    assert vote.status == "tallied" and published["published"]
    assert published["result"] == out["result"] and published["minutes"] == out["minutes"] == vote.minutes
    assert out["result"]["passed"] and out["result"]["winner"] == opt(vote, 0)
    assert "同意：3 票" in vote.minutes
    assert FollowUp.objects.filter(vote=vote).count() == 1
    ev = Event.objects.filter(type="consult.vote_tallied").get()
    assert ev.payload["result"]["present"] == 3


def _fake_vote(**kw):
    fields = votes.preset_fields(kw.pop("preset"))
    fields.update(kw)
    return FormalVote(**fields)


def test_villagers_assembly_quorum_people_or_households(world, users):
    vote = make(world, users, preset="villagers_assembly", options=("同意", "不同意"))
    electors = list(vote.electors.order_by("household_id", "id"))
    n = len(electors)
    assert vote.household_count > 0
    # exactly half of the villagers: not "more than half"; unless their households reach two thirds
    half = electors[: n // 2] if n % 2 == 0 else electors[: n // 2]
    for e in half:
        votes.cast_ballot(vote, [opt(vote, 0)], elector_key=e.key, officer=users["community_cadre"])
    r = votes.tally(vote)
    hh_present = r["households_present"]
    assert r["quorum_by_people"] is False
    assert r["quorum_by_households"] == (3 * hh_present >= 2 * vote.household_count)
    # one more villager: more than half present → quorum; all agreed → passes by majority of those present
    votes.cast_ballot(vote, [opt(vote, 1)], elector_key=electors[-1].key, officer=users["community_cadre"])
    r = votes.tally(vote)
    assert r["quorum_by_people"] is True and r["quorum_met"]
    assert r["passed"] == (2 * (len(half)) > len(half) + 1)


def test_household_quorum_alone_suffices(world, users):
    vote = make(world, users, preset="villagers_assembly", options=("同意", "不同意"))
    by_household = {}
    for e in vote.electors.order_by("id"):
        by_household.setdefault(e.household_id, e)
    reps = list(by_household.values())
    need = -(-2 * vote.household_count // 3)  # ceil(2/3 of households)
    for e in reps[:need]:
        votes.cast_ballot(vote, [opt(vote, 0)], elector_key=e.key, officer=users["community_cadre"])
    r = votes.tally(vote)
    assert r["quorum_by_households"] is True and r["quorum_met"]
    if 2 * need <= vote.electorate_size:
        assert r["quorum_by_people"] is False


def test_two_thirds_threshold_exact(world, users):
    vote = make(world, users, preset="two_thirds", options=("同意", "不同意"))
    ks = keys(vote, vote.electorate_size)
    # 6 present: 4 for = exactly two thirds → passes ("at least"); quorum needs > 1/2 of electorate
    voters = ks[: max(6, vote.electorate_size // 2 + 1)]
    n = len(voters)
    yes = -(-2 * n // 3)
    for i, k in enumerate(voters):
        votes.cast_ballot(vote, [opt(vote, 0 if i < yes else 1)], elector_key=k, officer=users["community_cadre"])
    r = votes.tally(vote)
    assert r["quorum_met"] and r["passed"] and r["winner"] == opt(vote, 0)


def test_simple_majority_blank_ballots_and_ties(world, users):
    vote = make(world, users, options=("甲", "乙"))
    ks = keys(vote, 5)
    for k, c in zip(ks, [[opt(vote, 0)], [opt(vote, 0)], [opt(vote, 1)], [opt(vote, 1)], []]):
        votes.cast_ballot(vote, c, elector_key=k, officer=users["community_cadre"])
    r = votes.tally(vote)
    assert r["blank"] == 1 and r["valid"] == 4
    assert not r["passed"] and r["winner"] is None  # 2 of 4 valid is not more than half


def test_approval_vote(world, users):
    vote = make(world, users, method="approval", options=("健身器材", "停车位", "绿化"))
    a, b, c = (opt(vote, i) for i in range(3))
    for k, ch in zip(keys(vote, 4), [[a, b], [a], [a, c], [b]]):
        votes.cast_ballot(vote, ch, elector_key=k, officer=users["community_cadre"])
    r = votes.tally(vote)
    counts = {o["id"]: o["votes"] for o in r["options"]}
    assert counts == {a: 3, b: 2, c: 1}
    assert r["winner"] == a and r["passed"]


def test_instant_runoff_against_hand_count():
    # 9 ballots; first preferences A4 B3 C2 → C eliminated, its ballots go to B → B 5 of 9 wins.
    A, B, C = 1, 2, 3
    ballots = [[A, B]] * 4 + [[B, A]] * 3 + [[C, B]] * 2
    rounds = votes.irv(ballots, [A, B, C])
    assert rounds[0]["counts"] == {"1": 4, "2": 3, "3": 2} and rounds[0]["eliminated"] == C
    assert rounds[1]["counts"] == {"1": 4, "2": 5} and rounds[1]["winner"] == B
    # exhausted ballots leave the count: [C] only
    rounds = votes.irv([[A]] * 3 + [[B]] * 2 + [[C]] * 2, [A, B, C])
    assert rounds[-1]["winner"] == A and rounds[-1]["continuing_ballots"] == 5


def test_ranked_vote_end_to_end(world, users):
    vote = make(world, users, method="ranked", options=("甲", "乙", "丙"))
    A, B, C = (opt(vote, i) for i in range(3))
    for k, ch in zip(keys(vote, 9), [[A, B]] * 4 + [[B, A]] * 3 + [[C, B]] * 2):
        votes.cast_ballot(vote, ch, elector_key=k, officer=users["community_cadre"])
    r = votes.tally(vote)
    assert r["winner"] == B and len(r["rounds"]) == 2


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_ballots_one_counted(world, users):
    if connection.vendor == "sqlite":
        pytest.skip("real concurrency needs PostgreSQL (SQLite's shared-cache test database reports locks at once)")
    vote = make(world, users)
    k = keys(vote, 1)[0]
    officer = users["community_cadre"]
    barrier = threading.Barrier(2)
    outcomes = []

    def go(choice):
        try:
            barrier.wait()
            votes.cast_ballot(vote, [opt(vote, choice)], elector_key=k, officer=officer)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # SQLite may report the lock instead of waiting
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=go, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1
    assert Ballot.objects.filter(vote=vote).count() == 1 and RollEntry.objects.filter(vote=vote).count() == 1
    assert Elector.objects.filter(vote=vote, key=k).count() == 1
