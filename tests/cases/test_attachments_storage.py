"""Attachments go through Django's storage API only: with an in-memory default storage (as an S3-compatible
store would be), filing, serving on the page and the API, a failed intake and the retention purge's
deletion all work, and nothing touches the local disk."""

from __future__ import annotations

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gongzhi.cases import attachments, services
from gongzhi.cases.models import Attachment, ServiceRequest
from gongzhi.core.actors import SYSTEM

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 200
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def memory_storage(settings, tmp_path, monkeypatch):
    settings.GONGZHI_MEDIA_DIR = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}

    def no_disk(*_a, **_k):
        raise AssertionError("an attachment went to the local disk")

    monkeypatch.setattr(FileSystemStorage, "_save", no_disk)
    monkeypatch.setattr(FileSystemStorage, "_open", no_disk)
    st = storages["default"]
    assert type(st).__name__ == "InMemoryStorage"
    yield st
    assert not (tmp_path / "media").exists()


def test_web_and_api_serve_from_the_storage(world, place, users, memory_storage):
    c = Client()
    form = {"description": "楼道堆物", "category": "01005", "lon": place.lon, "lat": place.lat}
    photo = SimpleUploadedFile("楼道.jpg", JPEG, content_type="image/jpeg")
    r = c.post("/requests/new/", {**form, "idempotency_key": "s-1", "attachments": [photo]})
    assert r.status_code == 302, r.content.decode()[:300]
    req = ServiceRequest.objects.get()
    att = req.attachments.get()
    name = "cases/" + att.stored_name
    assert memory_storage.exists(name) and memory_storage.open(name).read() == JPEG
    got = c.get(f"/requests/r/{req.number}/attachments/{att.pk}/?token={req.token}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == JPEG

    staff = Client()
    staff.force_login(users["street_cadre"])
    got = staff.get(f"/api/v1/cases/requests/{req.number}/attachments/{att.pk}")
    assert got.status_code == 200 and b"".join(got.streaming_content) == JPEG

    memory_storage.delete(name)  # lost from the store: 404, not a 500
    assert c.get(f"/requests/r/{req.number}/attachments/{att.pk}/?token={req.token}").status_code == 404
    assert staff.get(f"/api/v1/cases/requests/{req.number}/attachments/{att.pk}").status_code == 404


def test_a_failed_intake_removes_its_files_from_the_storage(place, memory_storage, monkeypatch):
    def fail(*_a, **_k):
        raise RuntimeError("database write failed")

    monkeypatch.setattr(Attachment.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        services.submit(
            SYSTEM,
            description="路口井盖松动",
            category="01005",
            lon=place.lon,
            lat=place.lat,
            attachments=[("a.jpg", JPEG), ("b.pdf", PDF)],
        )
    assert memory_storage.exists("cases")  # they were written ...
    assert memory_storage.listdir("cases")[1] == []  # ... and removed


def test_store_discard_and_read(memory_storage):
    checked = attachments.check([("a.pdf", PDF)])
    [(_c, stored, digest)] = attachments.store(checked)
    att = Attachment(stored_name=stored)
    assert attachments.exists(stored) and attachments.read(att) == PDF and len(digest) == 64
    attachments.discard([stored, "never-stored.jpg"])
    assert not attachments.exists(stored)
    with pytest.raises(FileNotFoundError):
        attachments.open_file(att)


def _storages_with(env_extra):
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "gongzhi.settings", **env_extra}
    code = "import json, django; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    return out.returncode, (json.loads(out.stdout) if out.returncode == 0 else out.stderr)


def test_an_s3_compatible_store_is_a_setting():
    rc, default = _storages_with(
        {"GONGZHI_STORAGE": "s3", "GONGZHI_S3_BUCKET": "gongzhi-media", "GONGZHI_S3_ENDPOINT_URL": "http://minio:9000"}
    )
    assert rc == 0, default
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "gongzhi-media" and default["OPTIONS"]["default_acl"] == "private"
    assert default["OPTIONS"]["endpoint_url"] == "http://minio:9000"
    rc, err = _storages_with({"GONGZHI_STORAGE": "s3", "GONGZHI_S3_BUCKET": ""})
    assert rc != 0 and "GONGZHI_S3_BUCKET" in err
    rc, default = _storages_with({"GONGZHI_STORAGE": "", "GONGZHI_MEDIA_DIR": "/srv/shared/media"})
    assert rc == 0 and default["OPTIONS"]["location"] == "/srv/shared/media"
