"""A small GeoReport v2 client written from the specification
(http://wiki.open311.org/GeoReport_v2/), independent of the server's code:
it knows only URLs, form fields, and the JSON/XML shapes the spec describes."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET


class Open311Error(Exception):
    def __init__(self, status: int, errors: list[dict]):
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors


def urllib_transport(method: str, url: str, data: dict | None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def _xml_items(root: ET.Element) -> list[dict]:
    out = []
    for item in root:
        d = {}
        for child in item:
            if len(child):
                d[child.tag] = [{g.tag: g.text for g in v} for v in child]
            else:
                d[child.tag] = child.text
        out.append(d)
    return out


class GeoReportClient:
    def __init__(self, endpoint: str, *, api_key: str | None = None, fmt: str = "json", transport=urllib_transport):
        self.endpoint = endpoint.rstrip("/") + "/"
        self.api_key = api_key
        self.fmt = fmt
        self.transport = transport

    def _call(self, method: str, path: str, params: dict | None = None, data: dict | None = None):
        url = self.endpoint + f"{path}.{self.fmt}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        status, ctype, body = self.transport(method, url, data)
        parsed = self._parse(body)
        if status >= 400:
            raise Open311Error(status, parsed if isinstance(parsed, list) else [parsed])
        return parsed

    def _parse(self, body: bytes):
        if self.fmt == "xml":
            root = ET.fromstring(body)
            if root.tag == "service_definition":
                return {"service_code": root.findtext("service_code"), "attributes": list(root.find("attributes"))}
            return _xml_items(root)
        return json.loads(body)

    def services(self) -> list[dict]:
        return self._call("GET", "services")

    def service_definition(self, code: str):
        return self._call("GET", f"services/{code}")

    def post_request(self, **fields) -> list[dict]:
        data = {k: v for k, v in fields.items() if v is not None}
        if self.api_key:
            data["api_key"] = self.api_key
        return self._call("POST", "requests", data=data)

    def requests(self, **filters) -> list[dict]:
        return self._call("GET", "requests", params={k: v for k, v in filters.items() if v is not None})

    def request(self, service_request_id: str) -> list[dict]:
        return self._call("GET", f"requests/{service_request_id}")

    def token(self, token: str) -> list[dict]:
        return self._call("GET", f"tokens/{token}")
