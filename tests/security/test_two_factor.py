"""Optional second factor for staff (MLPS 2.0 level 3): TOTP with django-otp.

An account binds an authenticator app at /account/2fa/ (QR code and key, confirmed with a code);
from then on the log-in needs the app's code as well as the password, a code is good once, and a
password-only session (e.g. from the back office's log-in) is stopped until it gives a code. With
``GONGZHI_STAFF_OTP_REQUIRED`` every staff account must bind an app before any other page.
"""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

GOOD = "Ren-min-2026-gongzhi"

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("sun_ba", password=GOOD, is_staff=True)


def code(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def login(c: Client, token: str = "", path: str = "/login/"):
    return c.post(path, {"username": "sun_ba", "password": GOOD, "otp_token": token})


def bind(c: Client) -> TOTPDevice:
    page = c.get("/account/2fa/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and 'id="otp-secret"' in html
    device = TOTPDevice.objects.get(user__username="sun_ba", confirmed=False)
    # The key on the page is the device's key (base32, in groups of four).
    shown = re.search(r'id="otp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(shown + "=" * (-len(shown) % 8)) == device.bin_key
    r = c.post("/account/2fa/", {"token": "000000" if code(device) != "000000" else "111111"})
    assert r.status_code == 400 and not TOTPDevice.objects.filter(confirmed=True).exists()
    time.sleep(1.1)  # after a wrong code the device waits a second before it checks another (throttling)
    r = c.post("/account/2fa/", {"token": code(device)})
    assert r.status_code == 302
    device.refresh_from_db()
    assert device.confirmed and c.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    return device


def test_without_an_app_the_password_is_enough(staff):
    c = Client()
    assert login(c).status_code == 302 and "_auth_user_id" in c.session
    assert c.get("/org/").status_code == 200


def test_bound_app_is_asked_for_at_log_in_and_a_code_works_once(staff):
    c = Client()
    login(c)
    device = bind(c)
    # Password alone: refused, the form says a code is needed.
    c2 = Client()
    r = login(c2)
    assert r.status_code == 200 and "_auth_user_id" not in c2.session
    # A wrong code: refused.
    assert login(c2, "123456" if code(device) != "123456" else "654321").status_code == 200
    assert "_auth_user_id" not in c2.session
    time.sleep(1.1)
    # The right code (the next step's: the current one was spent binding): signed in and verified.
    c3 = Client()
    token = code(device, drift=1)
    r = login(c3, token)
    assert r.status_code == 302 and c3.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert c3.get("/org/").status_code == 200
    # The same code again: refused (a code is good once).
    c4 = Client()
    assert login(c4, token).status_code == 200 and "_auth_user_id" not in c4.session


def test_a_password_only_session_is_stopped_until_it_gives_a_code(staff):
    c = Client()
    login(c)
    device = bind(c)
    admin = Client()
    r = admin.post("/admin/login/?next=/admin/", {"username": "sun_ba", "password": GOOD})
    assert r.status_code == 302  # the back office's own log-in knows no second factor...
    r = admin.get("/org/")
    assert r.status_code == 302 and r["Location"].startswith("/account/2fa/")  # ...so nothing opens
    assert admin.get("/admin/").status_code == 302
    r = admin.post(r["Location"], {"token": code(device, drift=1)})
    assert r.status_code == 302 and r["Location"] == "/org/"
    assert admin.get("/org/").status_code == 200


def test_staff_must_bind_an_app_when_required(staff, settings):
    settings.GONGZHI_STAFF_OTP_REQUIRED = True
    c = Client()
    assert login(c).status_code == 302
    r = c.get("/org/")
    assert r.status_code == 302 and r["Location"].startswith("/account/2fa/?next=")
    page = c.get(r["Location"]).content.decode()
    assert 'id="otp-required"' in page
    device = TOTPDevice.objects.get(user=staff)
    r = c.post("/account/2fa/?next=/org/", {"token": code(device)})
    assert r.status_code == 302 and r["Location"] == "/org/"
    assert c.get("/org/").status_code == 200
    # Required: it cannot be switched off by the user.
    r = c.post("/account/2fa/", {"token": code(device, drift=1)})
    assert r.status_code == 400 and "不能停用" in r.content.decode()
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()


def test_unbinding_needs_a_current_code(staff):
    c = Client()
    login(c)
    device = bind(c)
    r = c.post("/account/2fa/", {"token": "12"})
    assert r.status_code == 400 and TOTPDevice.objects.filter(user=staff).exists()
    r = c.post("/account/2fa/", {"token": code(device, drift=1)})
    assert r.status_code == 302 and not TOTPDevice.objects.filter(user=staff).exists()
    assert login(Client()).status_code == 302  # the password alone is enough again
