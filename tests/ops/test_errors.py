"""Error pages in the layout and the user's language; an unhandled exception is logged with its
traceback and the request id, which the response and the 500 page also carry."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client, override_settings

from gongzhi.ops.logs import JsonFormatter
from gongzhi.ops.requestid import RequestIdFilter

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.ops.urls_for_tests")]


@pytest.fixture
def log_lines():
    """Records of the logger Django reports unhandled exceptions to, formatted as in production."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_unhandled_exception_is_logged_with_traceback_and_request_id(log_lines):
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom/")
    assert response.status_code == 500
    rid = response["X-Request-ID"]
    assert len(rid) >= 8
    records = [json.loads(line) for line in log_lines]
    errors = [r for r in records if r["level"] == "ERROR"]
    assert errors, records
    assert errors[0]["request_id"] == rid
    assert "RuntimeError: boom: a bug in a view" in errors[0]["traceback"]
    assert errors[0]["path"] == "/test-boom/"
    # The person sees the same id, in the site's layout, with a way on.
    page = response.content.decode()
    assert rid in page and 'href="/"' in page and "服务器出错了" in page


def test_a_proxy_request_id_is_kept(log_lines):
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom/", HTTP_X_REQUEST_ID="edge-1234abcd")
    assert response["X-Request-ID"] == "edge-1234abcd"
    assert json.loads(log_lines[0])["request_id"] == "edge-1234abcd"
    # A malformed one is replaced, never echoed.
    response = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>"


def test_404_in_layout_in_both_languages(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and "/no-such-page/" in page
    assert 'class="top"' in page  # the site's header and navigation
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_domain_refusal_is_a_403_naming_the_roles(client, users):
    client.force_login(users["grid_worker"])
    response = client.get("/test-refused/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权分配角色" in page
    # manage_roles is held by the district administrator and street cadres.
    assert "区级管理员" in page and "街道(乡镇)干部" in page and "网格员" not in page.split("roles-needed")[1]
    response = client.get("/test-denied/")
    assert response.status_code == 403 and "没有权限" in response.content.decode()


def test_domain_not_found_is_a_404(client, users):
    client.force_login(users["grid_worker"])
    response = client.get("/test-missing/")
    assert response.status_code == 404
    assert "没有这条诉求" in response.content.decode()


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


def test_security_headers_and_csp_nonce(client, users):
    client.force_login(users["district_admin"])
    response = client.get("/map/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "object-src 'none'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    page = response.content.decode()
    assert f'<script nonce="{nonce}">' in page
    assert "onchange=" not in page
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@override_settings(DEBUG=False)
def test_500_page_survives_a_broken_layout(monkeypatch, log_lines):
    from gongzhi.ops import errors

    real = errors.loader.render_to_string

    def broken(template, context=None, request=None):
        if template == "errors/500.html":
            raise RuntimeError("layout broken")
        return real(template, context, request)

    monkeypatch.setattr(errors.loader, "render_to_string", broken)
    response = Client(raise_request_exception=False).get("/test-boom/")
    assert response.status_code == 500
    assert response["X-Request-ID"] in response.content.decode()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_the_configured_logging_writes_the_traceback_with_the_request_id(tmp_path, fmt):
    """As under `gongzhi serve`: a fresh process with the platform's own LOGGING, nothing added."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client(raise_request_exception=False).get('/test-boom/')\n"
        "print(r.status_code, r['X-Request-ID'])\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGZHI_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.ops.settings_boom",
        GONGZHI_VAR_DIR=str(tmp_path),
        DATABASE_URL="",
        GONGZHI_LOG_FORMAT=fmt,
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    status, rid = out.stdout.split()
    assert status == "500"
    if fmt == "json":
        lines = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("{")]
        errors = [line for line in lines if line["level"] == "ERROR" and line["request_id"] == rid]
        assert errors and "RuntimeError: boom" in errors[0]["traceback"], out.stderr
    else:
        assert f"[{rid}] Internal Server Error: /test-boom/" in out.stderr
        assert "RuntimeError: boom: a bug in a view" in out.stderr
