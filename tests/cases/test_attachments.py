"""Attachments: optional photos/files at intake, checked by size, count and magic bytes; stored under
random names; a refused upload saves nothing; shown only to the reporter and to staff who may handle or
dispatch the request."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongzhi.cases import attachments, services
from gongzhi.cases.models import Attachment, ServiceRequest, Transition
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Event

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.GONGZHI_MEDIA_DIR = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    settings.GONGZHI_ATTACHMENT_MAX_BYTES = 64 * 1024
    settings.GONGZHI_ATTACHMENT_MAX_COUNT = 3
    return tmp_path / "media" / "cases"


def stored_files(media):
    return sorted(p.name for p in media.glob("*")) if media.exists() else []


def nothing_saved(media, before_events):
    assert ServiceRequest.objects.count() == 0 and Attachment.objects.count() == 0
    assert Transition.objects.count() == 0 and Event.objects.count() == before_events
    assert stored_files(media) == []


def test_sniff_by_content_not_name():
    assert attachments.sniff(JPEG) == ("image/jpeg", "jpg")
    assert attachments.sniff(PNG) == ("image/png", "png")
    assert attachments.sniff(PDF) == ("application/pdf", "pdf")
    assert attachments.sniff(b"GIF89a....") is None
    assert attachments.sniff(b"<html><script>") is None


def test_submit_with_three_kinds_stores_random_names(place, media):
    req, created = services.submit(
        SYSTEM,
        description="路口井盖松动",
        category="01005",
        lon=place.lon,
        lat=place.lat,
        attachments=[("现场.jpg", JPEG), ("近景.png", PNG), ("说明.pdf", PDF)],
    )
    assert created
    atts = list(req.attachments.order_by("id"))
    assert [a.content_type for a in atts] == ["image/jpeg", "image/png", "application/pdf"]
    assert [a.original_name for a in atts] == ["现场.jpg", "近景.png", "说明.pdf"]
    names = stored_files(media)
    assert sorted(a.stored_name for a in atts) == names
    for a in atts:
        assert a.stored_name not in ("现场.jpg", "近景.png", "说明.pdf") and len(a.stored_name.split(".")[0]) == 32
        assert attachments.read(a)[:4] in (JPEG[:4], PNG[:4], PDF[:4])
    submit_event = Event.objects.get(type="cases.request.submit", aggregate_id=req.number)
    assert submit_event.payload["attachments"] == 3


@pytest.mark.parametrize(
    "files, status, code",
    [
        ([("big.jpg", JPEG + b"\x00" * 70 * 1024)], 413, "attachment_too_large"),
        ([("fake.jpg", b"MZ\x90\x00 this is an exe")], 400, "attachment_type"),
        ([("a.jpg", JPEG), ("b.jpg", JPEG), ("c.jpg", JPEG), ("d.jpg", JPEG)], 400, "too_many_attachments"),
        ([("empty.png", b"")], 400, "empty_attachment"),
        # a good file first and a bad one after: still nothing written
        ([("ok.png", PNG), ("big.pdf", PDF + b"\x00" * 70 * 1024)], 413, "attachment_too_large"),
    ],
)
def test_refused_attachments_save_nothing(place, media, files, status, code):
    before = Event.objects.count()
    with pytest.raises(DomainError) as e:
        services.submit(
            SYSTEM, description="路口井盖松动", category="01005", lon=place.lon, lat=place.lat, attachments=files
        )
    assert e.value.status == status and e.value.code == code and e.value.field == "attachments"
    nothing_saved(media, before)


def test_photo_never_required(place, media):
    req, _ = services.submit(SYSTEM, description="路灯不亮", category="02003", lon=place.lon, lat=place.lat)
    assert req.attachments.count() == 0 and stored_files(media) == []


def test_web_form_upload_oversized_and_visibility(world, place, users, media):
    c = Client()
    form = {
        "description": "楼道堆物",
        "category": "01005",
        "lon": place.lon,
        "lat": place.lat,
        "idempotency_key": "k-web-1",
    }
    before = Event.objects.count()
    big = SimpleUploadedFile("big.jpg", JPEG + b"\x00" * 70 * 1024, content_type="image/jpeg")
    r = c.post("/requests/new/", {**form, "attachments": [big]})
    assert r.status_code == 413
    assert "超过每个" in r.content.decode() and 'aria-invalid="true"' in r.content.decode()
    nothing_saved(media, before)

    photo = SimpleUploadedFile("楼道.jpg", JPEG, content_type="image/jpeg")
    r = c.post("/requests/new/", {**form, "attachments": [photo]})
    assert r.status_code == 302, r.content.decode()[:500]
    req = ServiceRequest.objects.get()
    att = req.attachments.get()
    url = f"/requests/r/{req.number}/attachments/{att.pk}/"
    # The reporter (token, or the browser's session) sees it on the page and can open it.
    page = c.get(r["Location"]).content.decode()
    assert url in page and "<img" in page
    got = c.get(url + f"?token={req.token}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == JPEG
    assert got["Content-Type"] == "image/jpeg" and got["X-Content-Type-Options"] == "nosniff"
    # Staff who may dispatch or handle it see it; an auditor sees the request but not the attachment.
    for role, may in (("street_cadre", True), ("community_cadre", True), ("district_admin", True), ("auditor", False)):
        s = Client()
        s.force_login(users[role])
        page = s.get(f"/requests/r/{req.number}/")
        assert page.status_code == 200, role
        assert (url in page.content.decode()) is may, role
        assert s.get(url).status_code == (200 if may else 403), role
    # Outside the request's area: not even the page.
    o = Client()
    o.force_login(users["other_street_cadre"])
    assert o.get(f"/requests/r/{req.number}/").status_code == 404
    assert o.get(url).status_code == 404
    assert Client().get(url).status_code == 404  # anonymous, no token


def test_api_multipart(world, place, users, media):
    c = Client()
    c.force_login(users["street_cadre"])
    data = {
        "description": "小区门口垃圾堆放",
        "category": "01001",
        "lon": str(place.lon),
        "lat": str(place.lat),
        "channel": "api",
        "reporter_phone": "13500001234",
    }
    before = Event.objects.count()
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 70 * 1024, content_type="image/png")
    r = c.post("/api/v1/cases/requests/upload", {**data, "attachments": [big]}, HTTP_IDEMPOTENCY_KEY="m-1")
    assert r.status_code == 413, r.content
    assert r.json()["code"] == "attachment_too_large" and r.json()["field"] == "attachments"
    nothing_saved(media, before)

    pdf = SimpleUploadedFile("说明.pdf", PDF, content_type="application/octet-stream")  # declared type ignored
    r = c.post("/api/v1/cases/requests/upload", {**data, "attachments": [pdf]}, HTTP_IDEMPOTENCY_KEY="m-2")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["attachments"][0]["content_type"] == "application/pdf" and body["attachments"][0]["size"] == len(PDF)
    r2 = c.post("/api/v1/cases/requests/upload", {**data, "attachments": [io.BytesIO(PDF)]}, HTTP_IDEMPOTENCY_KEY="m-2")
    assert r2.json()["number"] == body["number"] and Attachment.objects.count() == 1  # replayed, nothing new
    aid = body["attachments"][0]["id"]
    got = c.get(f"/api/v1/cases/requests/{body['number']}/attachments/{aid}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    detail = c.get(f"/api/v1/cases/requests/{body['number']}").json()
    assert detail["attachments"][0]["id"] == aid
    a = Client()
    a.force_login(users["auditor"])
    assert a.get(f"/api/v1/cases/requests/{body['number']}").json()["attachments"] == {"count": 1, "hidden": True}
    assert a.get(f"/api/v1/cases/requests/{body['number']}/attachments/{aid}").status_code == 403


def test_open311_media_url_stays_a_url(world, place, media):
    import io as _io

    from django.core.management import call_command

    out = _io.StringIO()
    call_command("open311_key", "media-client", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    c = Client()
    base = {"api_key": key, "service_code": "01005", "lat": place.lat, "long": place.lon, "description": "井盖缺失"}
    bad = c.post("/open311/v2/requests.json", {**base, "media_url": "javascript:alert(1)"})
    assert bad.status_code == 400 and ServiceRequest.objects.count() == 0
    r = c.post("/open311/v2/requests.json", {**base, "media_url": "https://img.example.org/p/1.jpg"})
    assert r.status_code == 201
    att = Attachment.objects.get()
    assert att.url == "https://img.example.org/p/1.jpg" and att.stored_name == "" and stored_files(media) == []
