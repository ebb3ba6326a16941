from __future__ import annotations

import pytest

from .fakes import ALIYUN_SECRET, TENCENT_SECRET, FakeProvider


@pytest.fixture
def fake():
    f = FakeProvider().start()
    yield f
    f.stop()


@pytest.fixture
def providers(settings, fake, tmp_path):
    """Every HTTP adapter pointed at the fake provider; short timeouts."""
    from gongzhi.notify.channels import wechat

    settings.GONGZHI_NOTIFY_TIMEOUT = 0.3
    settings.GONGZHI_NOTIFY_BACKOFF_SECONDS = 30
    settings.GONGZHI_NOTIFY_MAX_ATTEMPTS = 5
    settings.GONGZHI_NOTIFY_FILE = str(tmp_path / "messages.jsonl")
    settings.GONGZHI_NOTIFY_ALIYUN_ENDPOINT = fake.url + "/"
    settings.GONGZHI_NOTIFY_ALIYUN_ACCESS_KEY_ID = "LTAItest"
    settings.GONGZHI_NOTIFY_ALIYUN_ACCESS_KEY_SECRET = ALIYUN_SECRET
    settings.GONGZHI_NOTIFY_ALIYUN_SIGN_NAME = "共治平台"
    settings.GONGZHI_NOTIFY_TENCENT_ENDPOINT = fake.url + "/"
    settings.GONGZHI_NOTIFY_TENCENT_SECRET_ID = "AKIDtest"
    settings.GONGZHI_NOTIFY_TENCENT_SECRET_KEY = TENCENT_SECRET
    settings.GONGZHI_NOTIFY_TENCENT_SDK_APP_ID = "1400000000"
    settings.GONGZHI_NOTIFY_TENCENT_SIGN_NAME = "共治平台"
    settings.GONGZHI_NOTIFY_WECHAT_ENDPOINT = fake.url
    settings.GONGZHI_NOTIFY_WECHAT_APP_ID = "wxtest"
    settings.GONGZHI_NOTIFY_WECHAT_APP_SECRET = "wechat-secret"
    settings.GONGZHI_NOTIFY_SMS_TEMPLATES = '{"request_resolved": "SMS_0001", "test": "SMS_0000"}'
    wechat.clear_token()
    yield fake
    wechat.clear_token()


@pytest.fixture
def console_file(settings, tmp_path):
    path = tmp_path / "console.jsonl"
    settings.GONGZHI_NOTIFY_FILE = str(path)
    settings.GONGZHI_NOTIFY_SMS = "console"
    settings.GONGZHI_NOTIFY_EMAIL = "console"
    settings.GONGZHI_NOTIFY_WECHAT = "console"
    return path


@pytest.fixture
def place(world):
    from gongzhi.cases import classify, routing
    from gongzhi.org.models import Grid

    routing.clear()  # the demo world is written with bulk inserts (no signals)
    classify.BACKGROUND = False
    g = Grid.objects.filter(region=world.comm_a).select_related("region").order_by("code").first()
    return type("Place", (), {"grid": g, "lon": g.centroid_lon, "lat": g.centroid_lat})()


@pytest.fixture
def staff(users, world):
    """The street cadre of street A with an e-mail and a person (phone) — the unit requests are sent to."""
    from gongzhi.org.models import Person

    u = users["street_cadre"]
    u.email = "street@example.org"
    u.save()
    Person.objects.create(name="街道干部", region=world.street_a, phone="13900000001", user=u)
    return u


@pytest.fixture
def request_flow(place, world, staff, monkeypatch):
    """File a request with a reporter's phone; dispatch it by hand to street A's office; helpers to move it."""
    from gongzhi.cases import classify, services
    from gongzhi.core.actors import SYSTEM
    from gongzhi.org.models import Unit

    monkeypatch.setattr(classify, "BACKGROUND", False)
    monkeypatch.setattr(services.intake, "SUGGEST_TIMEOUT_S", None)
    unit = Unit.objects.get(code=f"{world.street_a.code}-GOV")

    def make(**kw):
        kw.setdefault("reporter_name", "张三")
        kw.setdefault("reporter_phone", "13812345678")
        req, _ = services.submit(
            SYSTEM, description="小区门口垃圾堆放多日无人清运", category="01001", lon=place.lon, lat=place.lat, **kw
        )
        req.refresh_from_db()
        if req.state == "submitted":
            services.accept(SYSTEM, req)
            req.refresh_from_db()
        if req.state != "dispatched":
            services.dispatch(SYSTEM, req, unit=unit.code, reason="测试")
        req.refresh_from_db()
        return req

    return type("Flow", (), {"make": staticmethod(make), "unit": unit})()
