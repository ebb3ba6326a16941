"""Volunteer pages and API: profile with certificates and points, claims, confirmation, catalogue, redemption."""

from __future__ import annotations

from gongzhi.core.actors import SYSTEM
from gongzhi.volunteers import services as V
from gongzhi.volunteers.models import Redemption, ServiceRecord

from .conftest import day


def test_profile_claim_confirm_and_redeem_through_pages(vworld, users, client):
    w = vworld
    V.add_certificate(
        SYSTEM,
        w.vol,
        field="law",
        level=2,
        number="L-9",
        issued_on=day(w, 10),
        expires_on=day(w, -10),
        verified_by=w.gov_a,
    )
    client.force_login(users["street_cadre"])
    page = client.get(f"/volunteers/{w.vol.pk}/").content.decode()
    assert w.person.name in page and "L-9" in page and "有效" in page and "法律咨询" in page
    r = client.post(
        f"/volunteers/{w.vol.pk}/",
        {
            "task_type": "general",
            "task_ref": "P-1",
            "title": "助老",
            "organiser": w.gov_a.code,
            "date": day(w, 1).isoformat(),
            "hours": "3",
        },
    )
    assert r.status_code == 302
    r = client.post(
        f"/volunteers/{w.vol.pk}/",
        {
            "task_type": "general",
            "task_ref": "P-1",
            "title": "助老",
            "organiser": w.gov_a.code,
            "date": day(w, 1).isoformat(),
            "hours": "1",
        },
    )
    assert r.status_code == 200 and "重复申报" in r.content.decode()
    rec = ServiceRecord.objects.get()
    assert "P-1" in client.get("/volunteers/").content.decode()
    client.post(f"/volunteers/records/{rec.pk}/confirm/", {"action": "confirm"})
    rec.refresh_from_db()
    assert rec.status == "confirmed"
    item = V.add_item(SYSTEM, w.bank, code="TEA", name="茶歇", points=10, stock=1)
    client.post("/volunteers/catalogue/", {"item": item.pk, "volunteer": w.vol.pk, "quantity": 1})
    assert Redemption.objects.count() == 1
    r = client.post("/volunteers/catalogue/", {"item": item.pk, "volunteer": w.vol.pk, "quantity": 1}, follow=True)
    assert "库存不足" in r.content.decode()
    assert V.balances(w.vol)[0]["balance"] == 20


def test_api_claim_confirm_redeem_transfer(vworld, users, client):
    w = vworld
    client.force_login(users["street_cadre"])
    r = client.post(
        f"/api/v1/volunteers/{w.vol.pk}/claims",
        {
            "task_type": "general",
            "task_ref": "A-1",
            "title": "巡河",
            "organiser": w.gov_a.code,
            "date": day(w, 1).isoformat(),
            "hours": "2",
        },
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["points"] == 20
    over = client.post(
        f"/api/v1/volunteers/{w.vol.pk}/claims",
        {
            "task_type": "general",
            "task_ref": "A-2",
            "title": "巡河",
            "organiser": w.gov_a.code,
            "date": day(w, 1).isoformat(),
            "hours": "4",
        },
        content_type="application/json",
    )
    assert over.status_code == 400 and over.json()["code"] == "daily_cap"
    c = client.post(f"/api/v1/volunteers/records/{r.json()['id']}/confirm", {}, content_type="application/json")
    assert c.status_code == 200 and c.json()["status"] == "confirmed"
    t = client.post(
        f"/api/v1/volunteers/{w.vol.pk}/transfers",
        {"from_bank": "TB-A", "to_bank": "TB-B", "points": 5},
        content_type="application/json",
    )
    assert t.status_code == 201
    assert {b["bank"]: b["balance"] for b in t.json()["balances"]} == {"TB-A": 15, "TB-B": 5}
    V.add_item(SYSTEM, w.bank, code="BOOK", name="图书", points=15, stock=3)
    red = client.post(f"/api/v1/volunteers/{w.vol.pk}/redemptions", {"item": "BOOK"}, content_type="application/json")
    assert red.status_code == 201
    prof = client.get(f"/api/v1/volunteers/{w.vol.pk}").json()
    assert sum(m["amount"] for m in prof["movements"]) == 5
    items = client.get("/api/v1/volunteers/catalogue/items").json()
    assert [(i["code"], i["stock"]) for i in items] == [("BOOK", 2)]


def test_other_street_cannot_see_the_volunteer(vworld, users, client):
    client.force_login(users["other_street_cadre"])
    assert client.get(f"/volunteers/{vworld.vol.pk}/").status_code == 404
    assert client.get(f"/api/v1/volunteers/{vworld.vol.pk}").status_code == 404
