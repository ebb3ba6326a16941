"""No deadlock between concurrent use cases that lock rows (issue 17, item 9).

As found on the demo: pool matching and a resource's withdrawal at the same moment ended in
PostgreSQL's "deadlock detected". The withdrawal locked the resource with
``select_for_update().select_related(...)``, which is ``FOR UPDATE`` on the resource *and* on the
joined owner unit and regions; matching, which had already superseded the old proposals, then waited
to insert a proposal referencing that resource (a foreign key takes ``FOR KEY SHARE``, which
``FOR UPDATE`` blocks), while the withdrawal waited for those superseded proposals to repair them.

Now every such lock takes only the rows it changes (``of=("self",)``), as ``FOR NO KEY UPDATE``
(which lets other transactions keep inserting rows that reference them), in primary-key order, and the
pool's planners (matching, withdrawal, a declined proposal, a delivery) queue on one pool lock before
they read the capacity they plan with. The interleaving that deadlocked is forced here step by step;
real concurrency needs PostgreSQL, so these tests skip on SQLite.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from gongzhi.core.actors import SYSTEM
from gongzhi.org.models import Grid, Unit
from gongzhi.resources import matching as M
from gongzhi.resources import services as S
from gongzhi.resources.models import Assignment, PoolResource

concurrent = pytest.mark.django_db(transaction=True)


@pytest.fixture
def _pg():
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")


def _pt(region, k=0):
    g = Grid.objects.filter(region__path__startswith=region.path).order_by("code")[k]
    return g.centroid_lon, g.centroid_lat


def _run(*targets):
    """Run each callable in its own thread (own connection); return what each returned or raised."""
    results = [None] * len(targets)

    def wrap(i, fn):
        try:
            results[i] = ("ok", fn())
        except Exception as e:  # noqa: BLE001 - the test inspects it
            results[i] = ("error", e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a thread is still waiting (lock wait without end)"
    return results


def _pool(world):
    owner = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    resources = []
    for k in range(3):
        lon, lat = _pt(world.comm_a, k)
        resources.append(
            S.offer_resource(SYSTEM, owner=owner, name=f"物资{k}", kind="material", quantity=3, lon=lon, lat=lat)
        )
    for k in range(3):
        lon, lat = _pt(world.comm_a, k)
        S.raise_need(SYSTEM, title=f"需求{k}", kind="material", quantity=2, priority="basic", lon=lon, lat=lat)
    S.run_matching(SYSTEM, region=world.district)
    return resources


@concurrent
def test_matching_and_withdrawal_at_once_do_not_deadlock(_pg, world, monkeypatch):
    resources = _pool(world)
    target = max(resources, key=lambda r: Assignment.objects.filter(resource=r, status="proposed").count())
    assert Assignment.objects.filter(resource=target, status="proposed").exists()
    superseded, locked = threading.Event(), threading.Event()
    solve, can_respond = M.solve, S.can_respond

    def slow_solve(*a, **kw):
        # Matching has locked its needs and superseded the old proposals; let the withdrawal lock the
        # resource now (if it can), then go on to write the new plan.
        superseded.set()
        locked.wait(3)
        return solve(*a, **kw)

    def slow_check(actor, resource):
        locked.set()  # the withdrawal holds its locks now
        threading.Event().wait(0.5)  # matching runs into them meanwhile
        return can_respond(actor, resource)

    monkeypatch.setattr(M, "solve", slow_solve)
    monkeypatch.setattr(S, "can_respond", slow_check)

    def matching():
        return S.run_matching(SYSTEM, region=world.district)

    def withdrawal():
        superseded.wait(10)
        return S.withdraw_resource(SYSTEM, PoolResource.objects.get(pk=target.pk), reason="设备检修")

    results = _run(matching, withdrawal)
    assert [r[0] for r in results] == ["ok", "ok"], results
    target.refresh_from_db()
    assert target.status == "withdrawn"
    # Nothing is left proposed or committed on the withdrawn resource, whichever ran first.
    assert not Assignment.objects.filter(resource=target, status__in=Assignment.ACTIVE).exists()


@concurrent
def test_pool_use_cases_mixed_at_once_never_deadlock(_pg, world):
    """Matching, withdrawals, answers and deliveries from eight threads at once: each either succeeds or
    is refused with a domain error (state changed under it); none dies of a deadlock or a lock wait."""
    from gongzhi.core.errors import DomainError

    resources = _pool(world)
    ops = []
    for r in resources[:2]:
        ops.append(lambda r=r: S.withdraw_resource(SYSTEM, PoolResource.objects.get(pk=r.pk), reason="检修"))
    for a in Assignment.objects.filter(status="proposed").order_by("pk")[:3]:
        ops.append(lambda a=a: S.respond(SYSTEM, a, accept=True))
    ops += [lambda: S.run_matching(SYSTEM, region=world.district) for _ in range(3)]
    barrier = threading.Barrier(len(ops))

    def start(fn):
        def go():
            barrier.wait(10)
            try:
                return fn()
            except DomainError as e:  # a refusal (e.g. already withdrawn, state changed): fine
                return e.code

        return go

    results = _run(*[start(fn) for fn in ops])
    assert [r for r in results if r[0] == "error"] == []
    for r in resources[:2]:
        assert not Assignment.objects.filter(resource=r, status__in=Assignment.ACTIVE).exists()


@concurrent
def test_two_joins_of_one_unit_at_once_respect_the_cap(_pg, world, monkeypatch):
    """The member's lock no longer locks the joined unit, so the unit is locked explicitly: a unit in two
    alliances accepting two invitations at once ends in three, the second refused at the cap."""
    from gongzhi.alliances import services as AS
    from gongzhi.alliances.models import AllianceMember
    from gongzhi.core.errors import DomainError

    a = world.street_a
    school = Unit.objects.get(region=a, kind="school")
    leads = [
        Unit.objects.get(region=a, kind="hospital"),
        Unit.objects.get(region=a, kind="social_org"),
        *Unit.objects.filter(region=a, kind__startswith="enterprise").order_by("code")[:2],
    ]
    prop = Unit.objects.filter(region=world.comm_a, kind="property_company").first()
    alls = []
    for i, lead in enumerate(leads):
        x = AS.apply_alliance(
            lead_unit=lead,
            kind="cross_domain",
            name=f"联合体{i}",
            purpose="共建共治",
            members=[school] if i < 2 else [prop],
            on=dt_found(),
            actor=SYSTEM,
        )
        alls.append(AS.decide_application(x, approve=True, on=dt_found(), actor=SYSTEM))
    invites = [AS.invite(alls[2], school, actor=SYSTEM), AS.invite(alls[3], school, actor=SYSTEM)]
    barrier = threading.Barrier(2)
    from gongzhi.alliances.services import membership as AM  # where accept_membership looks it up

    cap_check = AM._cap_check

    def meeting_point(*args, **kw):
        try:
            barrier.wait(1.5)  # both at the check together, if nothing queues them before it
        except threading.BrokenBarrierError:
            pass
        return cap_check(*args, **kw)

    monkeypatch.setattr(AM, "_cap_check", meeting_point)

    def accept(m):
        def go():
            try:
                return AS.accept_membership(AllianceMember.objects.get(pk=m.pk), actor=SYSTEM).status
            except DomainError as e:
                return e.code

        return go

    results = _run(*[accept(m) for m in invites])
    assert sorted(r[1] for r in results) == ["active", "alliance_cap"], results
    assert AllianceMember.objects.filter(unit=school, status="active").count() == 3


def dt_found():
    import datetime as dt

    return dt.date(2025, 1, 6)


def test_no_lock_reaches_joined_rows():
    """Every ``select_for_update`` in a chain with ``select_related`` names ``of=`` (the siblings of the
    pool's deadlock: cases, incidents, alliances, volunteers)."""
    import ast
    from pathlib import Path

    import gongzhi

    bad = []
    for path in Path(gongzhi.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            chain, n = [], node
            while isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                chain.append(n)
                n = n.func.value
            names = {c.func.attr for c in chain}
            if {"select_for_update", "select_related"} <= names:
                sfu = next(c for c in chain if c.func.attr == "select_for_update")
                if not any(k.arg == "of" for k in sfu.keywords):
                    bad.append(f"{path.name}:{node.lineno}")
    assert bad == []
