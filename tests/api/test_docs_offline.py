"""The API docs page (/api/v1/docs) runs offline (issue 19 item 8): vendored Swagger UI, no other host."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders


def test_docs_page_references_no_other_host(client, db):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I), html
    for asset in ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css", "gongzhi/api-docs.js"):
        assert f"/static/{asset}" in html
        assert finders.find(asset), asset
    assert '"validatorUrl": null' in html  # the schema is never sent to validator.swagger.io
    assert '"url": "/api/v1/openapi.json"' in html
    assert "<script>" not in html  # no inline script: the content security policy allows none without a nonce


def test_openapi_schema_has_no_duplicate_keys(client, db):
    """Swagger UI reads the schema with a YAML parser that refuses a key given twice (Ninja's int status
    codes beside the common errors' str ones once made every ``"400"`` appear twice)."""
    import json

    def unique(pairs):
        keys = [k for k, _v in pairs]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        return dict(pairs)

    schema = json.loads(client.get("/api/v1/openapi.json").content, object_pairs_hook=unique)
    assert schema["openapi"].startswith("3.")
