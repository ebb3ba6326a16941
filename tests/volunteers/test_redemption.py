"""Redemption (atomic debit with stock), the last item raced by two, 通存通兑 transfers."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.volunteers import services as V
from gongzhi.volunteers.models import CatalogueItem, Movement, Redemption

from .conftest import day


def earn(w, points_tens: int, ref="E"):
    rec = V.claim_service(
        SYSTEM,
        w.vol,
        task_type=w.general,
        task_ref=ref,
        title="服务",
        organiser=w.gov_a,
        date=day(w, 1),
        hours=points_tens,
    )
    return V.confirm_service(SYSTEM, rec)


def test_redeem_debits_points_and_stock_together(vworld):
    w = vworld
    earn(w, 3)  # 30 points
    item = V.add_item(SYSTEM, w.bank, code="HAIRCUT", name="理发", points=20, stock=2)
    r = V.redeem(SYSTEM, w.vol, item)
    item.refresh_from_db()
    assert item.stock == 1 and r.points == 20
    assert V.balance(V.volunteer_account(w.vol)) == 10
    assert V.balance(V.bank_account(w.bank, "redemption")) == 20
    assert sorted(m.amount for m in r.entry.movements.all()) == [-20, 20]
    # not enough points: refused, and the stock is untouched (one transaction)
    with pytest.raises(DomainError) as e:
        V.redeem(SYSTEM, w.vol, item)
    assert e.value.code == "insufficient" and "余额10" in e.value.message
    item.refresh_from_db()
    assert item.stock == 1 and Redemption.objects.count() == 1
    assert V.verify_ledger() == []


def test_out_of_stock_is_refused(vworld):
    w = vworld
    earn(w, 3)
    item = V.add_item(SYSTEM, w.bank, code="NONE", name="空", points=1, stock=0)
    with pytest.raises(Conflict) as e:
        V.redeem(SYSTEM, w.vol, item)
    assert e.value.code == "out_of_stock"
    assert V.balance(V.volunteer_account(w.vol)) == 30


def test_a_stale_read_of_the_last_item_cannot_oversell(vworld):
    """The second of two redemptions that both saw stock 1 is refused (conditional update)."""
    w = vworld
    earn(w, 5)
    item = V.add_item(SYSTEM, w.bank, code="LAST", name="最后一件", points=10, stock=1)
    stale = CatalogueItem.objects.get(pk=item.pk)  # both callers read stock == 1
    V.redeem(SYSTEM, w.vol, item)
    with pytest.raises(Conflict):
        V.redeem(SYSTEM, w.vol, stale)
    item.refresh_from_db()
    assert item.stock == 0 and Redemption.objects.count() == 1
    assert V.balance(V.volunteer_account(w.vol)) == 40


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_of_the_last_item_one_wins(vworld):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL (SQLite serialises the test connection)")
    w = vworld
    earn(w, 5)
    item = V.add_item(SYSTEM, w.bank, code="LAST", name="最后一件", points=10, stock=1)
    barrier = threading.Barrier(2)
    results = []

    def worker():
        from django.db import connections

        try:
            barrier.wait()
            V.redeem(SYSTEM, w.vol, CatalogueItem.objects.get(pk=item.pk))
            results.append("ok")
        except Conflict:
            results.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict", "ok"]
    item.refresh_from_db()
    assert item.stock == 0 and Redemption.objects.count() == 1
    assert V.balance(V.volunteer_account(w.vol)) == 40


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_debits_cannot_overdraw(vworld):
    if connection.vendor != "postgresql":
        pytest.skip("real concurrency needs PostgreSQL")
    w = vworld
    earn(w, 1)  # 10 points: enough for one of two items
    a = V.add_item(SYSTEM, w.bank, code="A", name="甲", points=10, stock=5)
    b = V.add_item(SYSTEM, w.bank, code="B", name="乙", points=10, stock=5)
    barrier = threading.Barrier(2)
    results = []

    def worker(item):
        from django.db import connections

        try:
            barrier.wait()
            V.redeem(SYSTEM, w.vol, item)
            results.append("ok")
        except DomainError as e:
            results.append(e.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(x,)) for x in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["insufficient", "ok"]
    assert V.balance(V.volunteer_account(w.vol)) == 0
    assert V.verify_ledger() == []


def test_transfer_between_time_banks_when_both_allow(vworld):
    w = vworld
    earn(w, 3)
    e = V.transfer(SYSTEM, w.vol, from_bank=w.bank, to_bank=w.bank_b, points=12)
    assert sorted(m.amount for m in e.movements.all()) == [-12, 12]
    assert {b["bank"]: b["balance"] for b in V.balances(w.vol)} == {"TB-A": 18, "TB-B": 12}
    item = V.add_item(SYSTEM, w.bank_b, code="B-ITEM", name="九龙兑换", points=12, stock=1)
    V.redeem(SYSTEM, w.vol, item)
    assert {b["bank"]: b["balance"] for b in V.balances(w.vol)} == {"TB-A": 18, "TB-B": 0}
    with pytest.raises(DomainError) as err:
        V.transfer(SYSTEM, w.vol, from_bank=w.bank, to_bank=w.bank_b, points=19)
    assert err.value.code == "insufficient"
    w.bank_b.accepts_transfers_in = False
    w.bank_b.save()
    n = Movement.objects.count()
    with pytest.raises(DomainError) as err:
        V.transfer(SYSTEM, w.vol, from_bank=w.bank, to_bank=w.bank_b, points=1)
    assert err.value.code == "not_allowed" and err.value.field == "to_bank"
    assert Movement.objects.count() == n
    assert V.verify_ledger() == []


def test_redeem_at_a_bank_without_an_account_is_refused(vworld):
    w = vworld
    item = V.add_item(SYSTEM, w.bank_b, code="B-ITEM", name="九龙兑换", points=1, stock=1)
    with pytest.raises(DomainError) as e:
        V.redeem(SYSTEM, w.vol, item)
    assert e.value.code == "no_account"
