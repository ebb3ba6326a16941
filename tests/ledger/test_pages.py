"""The public record's pages (issue 19 item 8): /ledger/ and /ledger/entries/<n>/, anonymous."""

from __future__ import annotations

import base64
import html as htmllib
import json
import re
import uuid
from datetime import UTC, datetime

import pytest

from gongzhi.core import services as core_services
from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Event
from gongzhi.ledger import merkle, services
from gongzhi.ledger.models import Leaf

pytestmark = pytest.mark.django_db


@pytest.fixture
def regions():
    city = core_services.create_region(SYSTEM, code="330100", name="杭州市", level="city")
    district = core_services.create_region(SYSTEM, code="330106", name="西湖区", level="district", parent=city)
    a = core_services.create_region(SYSTEM, code="330106001", name="北山街道", level="street", parent=district)
    b = core_services.create_region(SYSTEM, code="330106002", name="西溪街道", level="street", parent=district)
    return district, a, b


def _events(regions, n=12):
    _d, a, b = regions
    out = []
    for i in range(n):
        out.append(
            Event.objects.create(
                event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"pages-{i}"),
                type="cases.request.accept" if i % 3 else "cases.request.submit",
                occurred_at=datetime(2026, 12, 6, 20, 27, tzinfo=UTC),
                region=a if i % 2 else b,
                aggregate_type="request",
                aggregate_id=f"R{i}",
                payload={},
                public=True,
            )
        )
    return out


def _pre(html: str) -> str:
    return htmllib.unescape(html.split('<pre id="entry-json">')[1].split("</pre>")[0])


@pytest.fixture
def log(ledger_key, regions):
    Event.objects.all().delete()  # the regions' own events: these tests count their leaves
    events = _events(regions)
    services.append_events(events, sign=True)
    return events


def test_index_is_public_and_shows_the_checkpoint(client, log):
    r = client.get("/ledger/")
    assert r.status_code == 200
    html = r.content.decode()
    cp = services.latest_checkpoint()
    assert f'<td id="cp-size">{cp.size}</td>' in html
    assert services.b64(bytes(cp.root)) in html
    assert "gongzhi verify http://testserver/ledger/ --key " + services.verifier().to_key() in html
    assert "tile/0/000" in html
    # kinds by label, never the raw code as the visible text
    assert ">诉求受理</option>" in html and ">cases.request.accept<" not in html
    assert html.count('<a href="/ledger/entries/') == 12
    # the district's time: 20:27 UTC is 04:27 the next day in Asia/Shanghai
    assert "2026-12-07 04:27" in html and "20:27" not in html


def test_filter_by_kind_and_place(client, log, regions):
    _d, a, _b = regions
    r = client.get("/ledger/", {"kind": "cases.request.submit"})
    assert r.content.decode().count('<a href="/ledger/entries/') == 4
    r = client.get("/ledger/", {"region": a.code})
    assert r.content.decode().count('<a href="/ledger/entries/') == 6
    r = client.get("/ledger/", {"region": a.code, "kind": "cases.request.submit"})
    assert r.content.decode().count('<a href="/ledger/entries/') == 2  # i = 3, 9
    r = client.get("/ledger/", {"region": "nonsense", "kind": "nonsense"})
    assert r.content.decode().count('<a href="/ledger/entries/') == 12


def test_receipt_search(client, log):
    leaf = Leaf.objects.get(event_id=log[5].event_id)
    r = client.get("/ledger/", {"q": str(log[5].event_id)})
    assert r.status_code == 302 and r["Location"] == f"/ledger/entries/{leaf.index}/"
    r = client.get("/ledger/", {"q": "3"})
    assert r["Location"] == "/ledger/entries/3/"
    r = client.get("/ledger/", {"q": "request:R1"})
    assert r.status_code == 200 and r.content.decode().count('<a href="/ledger/entries/') == 1
    r = client.get("/ledger/", {"q": str(uuid.uuid4())})
    assert r.status_code == 200 and 'id="not-found"' in r.content.decode()


def test_pagination(client, ledger_key, regions, monkeypatch):
    from gongzhi.ledger import views

    Event.objects.all().delete()
    services.append_events(_events(regions, 7), sign=True)
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    first = client.get("/ledger/").content.decode()
    assert first.count('<a href="/ledger/entries/') == 5 and 'rel="next"' in first
    second = client.get("/ledger/", {"page": "2"}).content.decode()
    assert second.count('<a href="/ledger/entries/') == 2 and 'rel="next"' not in second
    assert client.get("/ledger/", {"page": "x"}).status_code == 200


def test_entry_page_carries_a_proof_that_checks(client, log):
    r = client.get("/ledger/entries/4/")
    assert r.status_code == 200
    html = r.content.decode()
    data = json.loads(re.search(r'<script id="proof-data" type="application/json">(.*?)</script>', html, re.S)[1])
    entry = base64.b64decode(data["entry"])
    leaf = merkle.leaf_hash(entry)
    assert leaf.hex() in html and base64.b64decode(data["leaf_hash"]) == leaf
    cp = services.latest_checkpoint()
    assert data["tree_size"] == cp.size and data["checkpoint"] == cp.note
    assert merkle.verify_inclusion(4, cp.size, leaf, [base64.b64decode(p) for p in data["proof"]], bytes(cp.root))
    assert "ledger-proof.js" in html
    assert "诉求受理" in html and "2026-12-07 04:27" in html
    assert '"record": {' in _pre(html)  # the public fields, pretty-printed
    assert client.get("/ledger/entries/999/").status_code == 404


def test_withheld_entry_says_so(client, log):
    services.withhold(SYSTEM, [2], reason="free_text")
    html = client.get("/ledger/entries/2/").content.decode()
    assert 'id="withheld"' in html and "含自由文本" in html
    shown = json.loads(_pre(html))
    assert shown["withheld"] == "free_text" and "data" not in shown
    assert "已停止公开" in client.get("/ledger/").content.decode()


def test_entry_beyond_the_checkpoint_has_no_proof_yet(client, ledger_key, regions):
    Event.objects.all().delete()
    services.append_events(_events(regions, 3), sign=False)
    html = client.get("/ledger/entries/1/").content.decode()
    assert 'data-result="none"' in html and "proof-data" not in html
    assert "尚未签发检查点" in client.get("/ledger/").content.decode()


def test_old_routes_still_serve(client, log):
    assert client.get("/ledger/checkpoint").status_code == 200
    assert client.get("/ledger/tile/entries/000.p/12").status_code == 200
    assert client.get("/ledger/proof/inclusion", {"index": 0}).status_code == 200
