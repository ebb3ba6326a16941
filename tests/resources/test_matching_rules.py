"""Example-based tests of the common-pool matcher: rules, explanations, repair, bad input."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from gongzhi.resources.matching import (
    MatchConfig,
    Need,
    Priority,
    Resource,
    Window,
    check_pair,
    feasible,
    greedy,
    lonlat_to_xy,
    repair,
    solve,
    suggest,
    unit_cost,
)
from gongzhi.resources.synthetic import random_instance

DENSE = MatchConfig(k_nearest=None)
T0 = datetime(2026, 3, 2, 8, 0)


def person(id, x=0.0, y=0.0, cap=1, **kw):
    return Resource(id=id, owner=kw.pop("owner", "unit-a"), kind="person", capacity=cap, x=x, y=y, **kw)


def need(id, x=0.0, y=0.0, qty=1, prio="basic", **kw):
    return Need(id=id, kind=kw.pop("kind", "person"), quantity=qty, priority=prio, x=x, y=y, **kw)


# --- bad input -------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"quantity": -2}, "quantity must be a positive integer"),
        ({"quantity": 0}, "quantity must be a positive integer"),
        ({"quantity": 1.5}, "quantity must be a positive integer"),
        ({"quantity": True}, "quantity must be a positive integer"),
        ({"priority": "urgent"}, "unknown priority 'urgent'; use one of emergency, basic, development"),
        ({"priority": 7}, "unknown priority 7"),
        ({"kind": "spaceship"}, "unknown kind 'spaceship'"),
        ({"x": float("nan")}, "x: must be a finite number of metres"),
        ({"certificates": {"law": 0}}, "level for 'law' must be an integer >= 1"),
        ({"skills": "first aid"}, "not one string"),
        ({"max_distance_m": -5}, "max_distance_m must be a positive number"),
        ({"window": Window(T0, T0 + timedelta(hours=2)), "deadline": T0}, "is not after the window start"),
    ],
)
def test_bad_need_refused_with_clear_message(kwargs, message):
    base = dict(id="n1", kind="person", quantity=1, priority="basic", x=0.0, y=0.0)
    base.update(kwargs)
    with pytest.raises(ValueError, match=_re(message)):
        Need(**base)


def _re(text):
    import re

    return re.escape(text)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"capacity": -3}, "capacity must be an integer >= 0, got -3"),
        ({"kind": "gold"}, "unknown kind 'gold'"),
        ({"use_cost": -1}, "use_cost must be an integer >= 0"),
        ({"id": ""}, "id must be a non-empty string"),
        ({"shareable_with": "T1"}, "shareable_with must be a set of region keys"),
        ({"available": "always"}, "available must be a Window"),
    ],
)
def test_bad_resource_refused_with_clear_message(kwargs, message):
    base = dict(id="r1", owner="u", kind="person", capacity=1, x=0.0, y=0.0)
    base.update(kwargs)
    with pytest.raises(ValueError, match=_re(message)):
        Resource(**base)


def test_window_must_be_ordered():
    with pytest.raises(ValueError, match="start .* must be before end"):
        Window(T0, T0)
    with pytest.raises(ValueError, match="expected a datetime"):
        Window("monday", None)


def test_duplicate_ids_refused():
    with pytest.raises(ValueError, match="duplicate resource id 'r1'"):
        solve([person("r1"), person("r1")], [need("n1")])
    with pytest.raises(ValueError, match="duplicate need id 'n1'"):
        solve([person("r1")], [need("n1"), need("n1")])


def test_bad_config_refused():
    with pytest.raises(ValueError, match="k_nearest must be a positive integer or None"):
        MatchConfig(k_nearest=0)
    with pytest.raises(ValueError, match="max_distance_m must be > 0"):
        MatchConfig(max_distance_m=0)


def test_priority_parsing():
    assert Priority.parse("Emergency") is Priority.EMERGENCY
    assert Priority.parse("basic livelihood") is Priority.BASIC
    assert Priority.parse(2) is Priority.DEVELOPMENT
    assert Priority.EMERGENCY < Priority.BASIC < Priority.DEVELOPMENT
    assert need("n", prio="development").priority is Priority.DEVELOPMENT


# --- feasibility rules -----------------------------------------------------


def test_certificate_level_grants_permission():
    # only a certified legal volunteer of level 2 or above takes a legal consultation
    task = need("legal", certificates={"law": 2}, skills={"law advice"})
    lvl1 = person("v1", certificates={"law": 1}, skills={"law advice"})
    lvl3 = person("v3", x=3000.0, certificates={"law": 3}, skills={"law advice"})
    doctor = person("v4", certificates={"medicine": 3}, skills={"law advice"})
    assert not feasible(lvl1, task) and not feasible(doctor, task) and feasible(lvl3, task)
    checks = {c.rule: c for c in check_pair(lvl1, task)}
    assert not checks["certificates"].passed and "law level 1 < 2" in checks["certificates"].detail
    plan = solve([lvl1, lvl3, doctor], [task], DENSE)
    assert [(a.resource_id, a.quantity) for a in plan.assignments] == [("v3", 1)]


def test_skills_all_required():
    n = need("n", skills={"first aid", "driving"})
    assert not feasible(person("a", skills={"first aid"}), n)
    assert feasible(person("b", skills={"first aid", "driving", "cooking"}), n)
    detail = {c.rule: c for c in check_pair(person("a", skills={"first aid"}), n)}["skills"].detail
    assert detail == "lacks driving"


def test_kind_and_capacity_rules():
    n = need("n", kind="vehicle")
    van = Resource(id="van", owner="u", kind="vehicle", capacity=2, x=0, y=0)
    assert feasible(van, n)
    assert not feasible(person("p"), n)
    assert not feasible(Resource(id="v0", owner="u", kind="vehicle", capacity=0, x=0, y=0), n)


def test_time_windows_and_deadline():
    morning = Window(T0, T0 + timedelta(hours=4))
    afternoon = Window(T0 + timedelta(hours=6), T0 + timedelta(hours=10))
    n = need("n", window=Window(T0 + timedelta(hours=3), T0 + timedelta(hours=9)))
    assert feasible(person("a", available=morning), n)
    assert feasible(person("b", available=afternoon), n)
    # the deadline cuts the wanted window: the afternoon volunteer comes too late
    late = need("m", window=n.window, deadline=T0 + timedelta(hours=5))
    assert feasible(person("a", available=morning), late)
    assert not feasible(person("b", available=afternoon), late)
    # half-open: a window ending exactly when the need starts does not overlap
    edge = need("e", window=Window(T0 + timedelta(hours=4), None))
    assert not feasible(person("a", available=morning), edge)


def test_region_sharing_urban_rural_pairing():
    street_shared = person("s1", region="S1", shareable_with={"T1"})
    street_only = person("s2", region="S1")
    district = person("d", region=None)
    township_need = need("n", region="T1")
    assert feasible(street_shared, township_need)
    assert not feasible(street_only, township_need)
    assert feasible(district, township_need)
    detail = {c.rule: c for c in check_pair(street_shared, township_need)}["region"].detail
    assert "shares with paired region T1" in detail


def test_distance_limit_and_cost():
    n = need("n", max_distance_m=1000)
    assert feasible(person("near", x=600, y=800), n)  # exactly 1000 m
    assert not feasible(person("far", x=600, y=801), n)
    cfg = MatchConfig(metres_per_cost_unit=100)
    r = person("r", x=150, y=0, use_cost=7)
    assert unit_cost(150.0, r, cfg) == 2 + 7


def test_lonlat_projection_against_spherical_distances():
    # one degree of latitude on the mean sphere is 111 195.08 m
    x, y = lonlat_to_xy(116.4, 40.0, lon0=116.4, lat0=39.0)
    assert x == 0 and y == pytest.approx(111_195.08, abs=0.01)
    # within a district the projection agrees with the haversine distance to 0.1 %
    lon0, lat0 = 116.397, 39.909
    for lon, lat in [(116.45, 39.95), (116.30, 39.85), (116.60, 40.05)]:
        x, y = lonlat_to_xy(lon, lat, lon0=lon0, lat0=lat0)
        p1, p2 = math.radians(lat0), math.radians(lat)
        dphi, dlmb = p2 - p1, math.radians(lon - lon0)
        h = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
        hav = 2 * 6_371_008.8 * math.asin(math.sqrt(h))
        assert math.hypot(x, y) == pytest.approx(hav, rel=1e-3)
    with pytest.raises(ValueError, match="lat must be a number of degrees within ±90"):
        lonlat_to_xy(0, 91, lon0=0, lat0=0)


# --- solving ---------------------------------------------------------------


def test_capacity_and_quantities_respected_and_cheapest_chosen():
    rs = [person("near", x=100, cap=2), person("far", x=900, cap=5)]
    ns = [need("n1", qty=3), need("n2", x=1000, qty=1)]
    plan = solve(rs, ns, DENSE)
    got = {(a.need_id, a.resource_id): a.quantity for a in plan.assignments}
    # n1 takes both units of "near" and one of "far"; n2 takes one of "far"
    assert got == {("n1", "near"): 2, ("n1", "far"): 1, ("n2", "far"): 1}
    assert plan.shortfalls == {}
    assert plan.total_cost == 2 * 10 + 1 * 90 + 1 * 10
    assert plan.remaining("far") == 3


def test_emergency_beats_development_even_when_dearer():
    # one volunteer, nearer to the development need
    rs = [person("r", x=0, cap=1)]
    ns = [need("dev", x=10, prio="development"), need("emg", x=4000, prio="emergency")]
    plan = solve(rs, ns, DENSE)
    assert [(a.need_id, a.resource_id) for a in plan.assignments] == [("emg", "r")]
    assert plan.shortfalls == {"dev": 1}
    assert plan.served_by_priority == {Priority.EMERGENCY: 1, Priority.BASIC: 0, Priority.DEVELOPMENT: 0}


def test_priority_reroutes_rather_than_starves():
    # a min-cost plan must move the basic need to its second choice so the emergency is served
    rs = [person("a", x=0, cap=1), person("b", x=3000, cap=1)]
    ns = [need("basic", x=10, prio="basic"), need("emg", x=20, prio="emergency", max_distance_m=100)]
    plan = solve(rs, ns, DENSE)
    got = {a.need_id: a.resource_id for a in plan.assignments}
    assert got == {"emg": "a", "basic": "b"}


def test_explanation_says_why_and_at_what_cost():
    rs = [
        person("r1", x=300, cap=1, skills={"first aid"}, owner="Red Cross", conditions=("bring own kit",)),
        person("r2", x=500, cap=3, skills={"first aid"}),
    ]
    ns = [need("n", qty=2, skills={"first aid"}, prio="emergency")]
    plan = solve(rs, ns, DENSE)
    by_res = {a.resource_id: a for a in plan.assignments}
    first, second = by_res["r1"].explanation, by_res["r2"].explanation
    assert first.rank == 1 and first.candidates == 2 and first.unit_cost == 30 and first.cost == 30
    assert second.rank == 2 and second.cost == 50
    assert all(c.passed for c in first.checks)
    assert {c.rule for c in first.checks} == {
        "kind",
        "capacity",
        "skills",
        "certificates",
        "window",
        "region",
        "distance",
    }
    assert first.text.startswith("Resource r1 of Red Cross: 1 unit(s) at cost 30 each = 30 (300 m)")
    assert first.text.endswith("Conditions of use: bring own kit.")
    assert "the cheapest of 2 feasible candidate(s)" in first.text
    assert "skills: has first aid" in first.text
    assert "candidate 2 of 2 by cost" in second.text


def test_unserved_when_nothing_feasible():
    plan = solve([person("r", certificates={"medicine": 1})], [need("n", certificates={"medicine": 2})], DENSE)
    assert plan.assignments == [] and plan.shortfalls == {"n": 1}
    empty = solve([], [need("n")], DENSE)
    assert empty.shortfalls == {"n": 1} and empty.total_cost == 0


def test_sparse_candidates_are_nearest_feasible():
    rs, ns = random_instance(60, 200, seed=3)
    from gongzhi.resources.matching import _Encoded

    cfg = MatchConfig(k_nearest=3)
    enc = _Encoded(rs, ns, cfg)
    an, ar, ad = enc.candidates(np.arange(len(ns)), 3)
    for i, n in enumerate(ns):
        mine = ar[an == i]
        all_feasible = sorted((math.dist((r.x, r.y), (n.x, n.y)), j) for j, r in enumerate(rs) if feasible(r, n, cfg))
        assert len(mine) == min(3, len(all_feasible))
        if len(mine):
            # nothing feasible outside the candidate set is nearer than the farthest candidate
            worst = max(ad[an == i])
            outside = [d for d, j in all_feasible if j not in set(mine.tolist())]
            assert all(d >= worst - 1e-9 for d in outside)


def test_suggest_ranks_feasible_resources():
    rs = [
        person("a", x=500),
        person("b", x=100),
        person("c", x=50, skills={"x"}),
        person("z", x=10, certificates={"law": 1}),
    ]
    n = need("n", certificates={"law": 1})
    assert [s.resource.id for s in suggest(n, rs)] == ["z"]
    n2 = need("n2")
    got = suggest(n2, rs, remaining={"c": 0}, limit=2)
    assert [s.resource.id for s in got] == ["z", "b"]
    assert got[1].unit_cost == 10 and got[1].available == 1


# --- repair ----------------------------------------------------------------


def test_repair_keeps_every_other_assignment():
    rs = [person("a", x=0, cap=2), person("b", x=200, cap=2), person("c", x=5000, cap=3)]
    ns = [need("n1", x=0, qty=2), need("n2", x=200, qty=2), need("n3", x=4900, qty=1)]
    plan = solve(rs, ns, DENSE)
    assert plan.shortfalls == {}
    fixed = repair(plan, ["a"])
    kept_before = {(a.need_id, a.resource_id): a.quantity for a in plan.assignments if a.resource_id != "a"}
    after = {(a.need_id, a.resource_id): a.quantity for a in fixed.assignments}
    for key, q in kept_before.items():
        assert after[key] == q  # unchanged
    assert not any(a.resource_id == "a" for a in fixed.assignments)
    # n1 lost 2 units; "c" has 2 left (b is full) and is within reach
    assert after[("n1", "c")] == 2
    assert fixed.shortfalls == {} and fixed.remaining("a") == 0
    note = next(a for a in fixed.assignments if a.need_id == "n1").explanation.text
    assert "Assigned by repair after resource(s) a dropped out." in note


def test_repair_refuses_unknown_resource():
    plan = solve([person("a")], [need("n")], DENSE)
    with pytest.raises(ValueError, match="unknown resource id"):
        repair(plan, ["ghost"])
    assert [(a.need_id, a.resource_id) for a in plan.assignments] == [("n", "a")]


def test_greedy_baseline_is_myopic():
    # greedy serves n1 first with its nearest volunteer; n2 then has to travel far.
    # The optimum gives n1 its second choice: 110 cost units instead of 130.
    rs = [person("a", x=100, cap=1), person("b", x=-1000, cap=1)]
    ns = [need("n1", x=0), need("n2", x=200, max_distance_m=1500)]
    opt, base = solve(rs, ns, DENSE), greedy(rs, ns, DENSE)
    assert {a.need_id: a.resource_id for a in base.assignments} == {"n1": "a", "n2": "b"}
    assert {a.need_id: a.resource_id for a in opt.assignments} == {"n1": "b", "n2": "a"}
    assert (base.total_cost, opt.total_cost) == (10 + 120, 100 + 10)


def test_repair_preempts_lower_priority_to_keep_the_guarantee():
    # the emergency loses its volunteer; the only other one serves a development need
    rs = [person("a", x=0, cap=1), person("b", x=100, cap=1), person("c", x=4000, cap=1)]
    ns = [need("emg", x=0, prio="emergency", max_distance_m=500), need("dev", x=100, prio="development")]
    plan = solve(rs, ns, DENSE)
    assert {a.need_id: a.resource_id for a in plan.assignments} == {"emg": "a", "dev": "b"}
    strict = repair(plan, ["a"], preempt=False)
    assert {a.need_id: a.resource_id for a in strict.assignments} == {"dev": "b"}
    assert strict.shortfalls == {"emg": 1}
    fixed = repair(plan, ["a"])
    # emergency takes b; the bumped development need is repaired in turn with c
    assert {a.need_id: a.resource_id for a in fixed.assignments} == {"emg": "b", "dev": "c"}
    assert fixed.bumped == {"dev": 1} and fixed.affected == {"emg", "dev"}
    assert fixed.shortfalls == {}
    # repairs chain: c drops out too, the development need is left short
    again = repair(fixed, ["c"])
    assert {a.need_id: a.resource_id for a in again.assignments} == {"emg": "b"}
    assert again.shortfalls == {"dev": 1} and again.dropped == {"a", "c"}


def test_refinement_looks_further_when_nearest_candidates_are_full():
    # with one candidate per need both needs first see only "a"; the one left short
    # gets more candidates in the refinement round and is served by "b"
    rs = [person("a", x=0, cap=1), person("b", x=2000, cap=1)]
    ns = [need("n1", x=10), need("n2", x=20)]
    plan = solve(rs, ns, MatchConfig(k_nearest=1))
    assert plan.shortfalls == {}
    assert sorted(a.resource_id for a in plan.assignments) == ["a", "b"]
    none = solve(rs, ns, MatchConfig(k_nearest=1, refine_rounds=0))
    assert none.served_total == 1


def test_greedy_and_solve_on_a_synthetic_district():
    rs, ns = random_instance(300, 300, seed=5)
    opt, base = solve(rs, ns), greedy(rs, ns)
    assert opt.served_total >= base.served_total
    for plan in (opt, base):
        for a in plan.assignments:
            assert feasible(a.resource, a.need, plan.config)
        for rid, used in plan.used.items():
            assert used <= plan.resources[rid].capacity
