"""Certificates and permissions, service claims, versioned rules with caps, the double-entry ledger."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.volunteers import services as V
from gongzhi.volunteers.models import Entry, Movement, ServiceRecord

from .conftest import day


def claim(w, ref, hours=2, back=1, task=None):
    return V.claim_service(
        SYSTEM,
        w.vol,
        task_type=task or w.general,
        task_ref=ref,
        title="服务",
        organiser=w.gov_a,
        date=day(w, back),
        hours=hours,
    )


def test_register_opens_an_account_and_refuses_a_second_registration(vworld):
    w = vworld
    assert w.vol.skills == ["急救", "陪护"]
    assert V.balance(V.volunteer_account(w.vol)) == 0
    with pytest.raises(DomainError) as e:
        V.register_volunteer(SYSTEM, person=w.person, bank=w.bank)
    assert e.value.code == "duplicate"


def test_certificate_level_grants_the_legal_task_and_expiry_withdraws_it(vworld):
    w = vworld
    ok, why = V.may_take(w.vol, w.legal)
    assert not ok and "没有有效证书" in why
    V.add_certificate(
        SYSTEM,
        w.vol,
        field="law",
        level=1,
        number="L-1",
        issued_on=day(w, 100),
        expires_on=day(w, -100),
        verified_by=w.gov_a,
    )
    ok, why = V.may_take(w.vol, w.legal)
    assert not ok and "仅有1级" in why
    with pytest.raises(DomainError) as e:
        claim(w, "LAW-1", task=w.legal)
    assert e.value.code == "not_certified" and e.value.field == "task_type"
    V.add_certificate(
        SYSTEM,
        w.vol,
        field="law",
        level=3,
        number="L-3",
        issued_on=day(w, 100),
        expires_on=day(w, 10),
        verified_by=w.gov_a,
    )  # expired ten days ago
    assert not V.may_take(w.vol, w.legal)[0]
    assert V.may_take(w.vol, w.legal, day(w, 20))[0]  # valid on a date before expiry
    V.add_certificate(
        SYSTEM,
        w.vol,
        field="law",
        level=2,
        number="L-2",
        issued_on=day(w, 100),
        expires_on=day(w, -365),
        verified_by=w.gov_a,
    )
    assert V.levels_on(w.vol) == {"law": 2}
    rec = claim(w, "LAW-2", task=w.legal, hours=1)
    assert rec.points == 10 + 5  # per hour plus the task bonus


def test_certificate_validation(vworld):
    w = vworld
    for kw, field in [
        ({"level": 0}, "level"),
        ({"level": 6}, "level"),
        ({"field": "astrology"}, "field"),
        ({"number": ""}, "number"),
        ({"expires_on": day(w, 20)}, "expires_on"),
    ]:
        args = dict(
            field="law", level=2, number="X-1", issued_on=day(w, 10), expires_on=day(w, -10), verified_by=w.gov_a
        )
        args.update(kw)
        with pytest.raises(DomainError) as e:
            V.add_certificate(SYSTEM, w.vol, **args)
        assert e.value.field == field, kw
    assert not w.vol.certificates.exists()


def test_confirmation_awards_points_by_a_balanced_entry(vworld):
    w = vworld
    rec = claim(w, "ACT-1", hours="2.5")
    assert rec.status == "claimed" and rec.points == 25 and rec.rule == w.rule
    assert V.balance(V.volunteer_account(w.vol)) == 0  # nothing until the organiser confirms
    V.confirm_service(SYSTEM, rec)
    rec.refresh_from_db()
    assert rec.status == "confirmed"
    entry = Entry.objects.get(kind="award")
    amounts = sorted(m.amount for m in entry.movements.all())
    assert amounts == [-25, 25] and sum(amounts) == 0
    assert V.balance(V.volunteer_account(w.vol)) == 25
    assert V.balance(V.bank_account(w.bank, "issuance")) == -25
    assert V.balances(w.vol) == [{"bank": "TB-A", "bank_name": "秋实时间银行", "balance": 25}]
    with pytest.raises(Conflict):
        V.confirm_service(SYSTEM, rec)
    assert V.verify_ledger() == []


def test_duplicate_claim_is_refused_with_the_reason(vworld):
    w = vworld
    claim(w, "ACT-1")
    with pytest.raises(DomainError) as e:
        claim(w, "ACT-1", back=2)
    assert e.value.code == "duplicate_claim" and "重复申报" in e.value.message
    assert ServiceRecord.objects.count() == 1


def test_rejected_claim_can_be_claimed_again(vworld):
    w = vworld
    rec = claim(w, "ACT-1")
    with pytest.raises(DomainError):
        V.confirm_service(SYSTEM, rec, accept=False)
    V.confirm_service(SYSTEM, rec, accept=False, reason="未到场")
    again = claim(w, "ACT-1")
    assert again.status == "claimed"


def test_daily_and_yearly_caps_are_refused_with_the_reason(vworld):
    w = vworld
    claim(w, "D-1", hours=4, back=1)  # 40 of 50 that day
    with pytest.raises(DomainError) as e:
        claim(w, "D-2", hours=2, back=1)
    assert e.value.code == "daily_cap" and "上限50" in e.value.message
    # yearly cap 200: spread over days in the same year as `back` days ago
    year = day(w, 1).year
    days = [d for d in range(2, 400) if day(w, d).year == year][:4]
    if len(days) < 4:
        pytest.skip("too early in the year to spread claims")
    for i, back in enumerate(days):
        claim(w, f"Y-{i}", hours=4, back=back)
    # 40 + 4*40 = 200 claimed this year: one more point is over the cap
    with pytest.raises(DomainError) as e:
        claim(w, "Y-over", hours="0.5", back=1)
    assert e.value.code == "yearly_cap"


def test_versioned_rule_applies_by_service_date(vworld):
    w = vworld
    with pytest.raises(DomainError) as e:
        V.publish_rule(SYSTEM, w.bank, effective_from=day(w, 500), points_per_hour=1, daily_cap=1, yearly_cap=1)
    assert e.value.field == "effective_from"
    v2 = V.publish_rule(SYSTEM, w.bank, effective_from=day(w, 5), points_per_hour=20, daily_cap=100, yearly_cap=1000)
    old = claim(w, "OLD", hours=1, back=10)
    new = claim(w, "NEW", hours=1, back=1)
    assert (old.rule.version, old.points) == (1, 10)
    assert (new.rule.version, new.points) == (v2.version, 20)


def test_post_refuses_unbalanced_entries_and_overdrafts(vworld):
    from django.db import transaction

    w = vworld
    acc = V.volunteer_account(w.vol)
    sink = V.bank_account(w.bank, "redemption")
    with transaction.atomic(), pytest.raises(DomainError) as e:
        V.post("transfer", [(acc, -5), (sink, 4)], actor=SYSTEM)
    assert e.value.code == "unbalanced"
    with transaction.atomic(), pytest.raises(DomainError) as e:
        V.post("transfer", [(acc, -5), (sink, 5)], actor=SYSTEM)
    assert e.value.code == "insufficient"
    assert not Movement.objects.exists()


def test_claim_validation(vworld):
    w = vworld
    for kw, field in [
        ({"hours": 0}, "hours"),
        ({"hours": 25}, "hours"),
        ({"hours": "x"}, "hours"),
        ({"task_ref": ""}, "task_ref"),
        ({"date": w.today + dt.timedelta(days=1)}, "date"),
    ]:
        args = dict(task_type=w.general, task_ref="R", title="t", organiser=w.gov_a, date=day(w, 1), hours=1)
        args.update(kw)
        with pytest.raises(DomainError) as e:
            V.claim_service(SYSTEM, w.vol, **args)
        assert e.value.field == field
    assert not ServiceRecord.objects.exists()


def test_points_verify_command(vworld):
    from io import StringIO

    from django.core.management import call_command

    V.confirm_service(SYSTEM, claim(vworld, "CMD-1"))
    out = StringIO()
    call_command("points_verify", stdout=out)
    assert "points ledger OK: 1 entries, 2 movements" in out.getvalue()
