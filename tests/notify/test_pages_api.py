"""Pages and API: my preferences (/account/notifications/, /api/v1/notify/preferences), the messages sent
(/notify/messages/, /api/v1/notify/messages: staff only, recipients masked)."""

from __future__ import annotations

import datetime as dt

from gongzhi.core import events
from gongzhi.notify.models import Message, Preference
from gongzhi.notify.subscribers import NAME


def test_preferences_page_saves_my_choices(client, staff):
    client.force_login(staff)
    assert client.get("/account/notifications/").status_code == 200
    resp = client.post(
        "/account/notifications/",
        {"channels": ["email"], "quiet_start": "21:00", "quiet_end": "08:00", "digest": "on", "language": "zh-hans"},
    )
    assert resp.status_code == 302
    p = Preference.objects.get(user=staff)
    assert p.channels == ["email"] and p.quiet_start == dt.time(21) and p.quiet_end == dt.time(8) and p.digest
    bad = client.post("/account/notifications/", {"quiet_start": "21:00", "language": "zh-hans"})
    assert bad.status_code == 400 and "aria-invalid" in bad.content.decode()
    assert Preference.objects.get(user=staff).quiet_end == dt.time(8)


def test_preferences_page_needs_a_log_in(client, db):
    resp = client.get("/account/notifications/")
    assert resp.status_code == 302 and "login" in resp["Location"]


def test_preferences_api(client, staff):
    client.force_login(staff)
    got = client.get("/api/v1/notify/preferences").json()
    assert got["channels"] == [] and got["digest"] is False
    put = client.put(
        "/api/v1/notify/preferences", {"channels": ["sms"], "opted_out": True}, content_type="application/json"
    )
    assert put.status_code == 200 and put.json()["opted_out"] is True and put.json()["channels"] == ["sms"]
    bad = client.put("/api/v1/notify/preferences", {"channels": ["fax"]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["field"] == "channels"


def test_messages_page_and_api_mask_recipients(client, request_flow, users, console_file):
    request_flow.make()
    events.dispatch_pending([NAME])
    assert Message.objects.filter(address="13812345678").exists()
    client.force_login(users["district_admin"])
    html = client.get("/notify/messages/").content.decode()
    assert "138****5678" in html and "13812345678" not in html
    data = client.get("/api/v1/notify/messages").json()
    assert data and all("13812345678" not in row["recipient"] for row in data)
    assert any(row["recipient"] == "138****5678" for row in data)


def test_messages_are_for_staff_who_may_see_them(client, users, db):
    for role, status in (("department_staff", 403), ("grid_worker", 403), ("auditor", 200), ("street_cadre", 200)):
        client.force_login(users[role])
        assert client.get("/notify/messages/").status_code == status, role
        assert client.get("/api/v1/notify/messages").status_code == status, role


def test_other_street_sees_none_of_street_a(client, request_flow, users, console_file):
    request_flow.make()
    events.dispatch_pending([NAME])
    client.force_login(users["other_street_cadre"])
    assert client.get("/api/v1/notify/messages").json() == []


def test_admin_lists_messages_masked(client, request_flow, console_file, django_user_model):
    request_flow.make()
    events.dispatch_pending([NAME])
    root = django_user_model.objects.create_superuser("root_n", password="pw-root-n")
    client.force_login(root)
    html = client.get("/admin/notify/message/").content.decode()
    assert "138****5678" in html and "13812345678" not in html
    m = Message.objects.filter(address="13812345678").first()
    page = client.get(f"/admin/notify/message/{m.pk}/change/").content.decode()
    assert "13812345678" not in page and "/notify/rate/" not in page
