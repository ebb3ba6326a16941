"""A fake SMS / WeChat provider on 127.0.0.1 (threading http.server) for the HTTP adapters' tests.

It speaks enough of Aliyun's ``SendSms`` (form-encoded RPC, HMAC-SHA1 signature checked), Tencent Cloud's
``SendSms`` (TC3-HMAC-SHA256 ``Authorization`` checked) and WeChat's token + template-message API.
``script`` says what the next send requests get, one entry each (then ``ok``):

* ``ok``        accepted
* ``timeout``   accepted, then the answer comes too late (the client times out: the message *was* taken)
* ``5xx``       HTTP 503
* ``ratelimit`` the provider's own rate-limit answer
* ``bad``       a permanent refusal (an invalid number / OpenID)
* ``token``     (WeChat) the access token has expired

Like a provider that honours an idempotency key (WeChat's ``client_msg_id``), a key seen before is not
delivered again; ``deliveries`` counts what reached a phone per key, ``requests`` every send request.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from gongzhi.notify.channels import aliyun, tencent

ALIYUN_SECRET = "aliyun-test-secret"
TENCENT_SECRET = "tencent-test-secret"
SLOW = 1.0  # seconds a "timeout" answer waits (the client's timeout in the tests is shorter)


class FakeProvider:
    def __init__(self) -> None:
        self.script: list[str] = []
        self.requests: list[dict] = []
        self.deliveries: Counter[str] = Counter()  # reached the phone (a repeated key is dropped)
        self.accepted: Counter[str] = Counter()  # send requests the provider took, per key
        self.token_requests = 0
        self.errors: list[str] = []  # signature or shape problems the fake found
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, data: dict | None) -> None:
                body = json.dumps(data or {}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (a timeout)

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/cgi-bin/token":
                    q = dict(parse_qsl(url.query))
                    with fake.lock:
                        fake.token_requests += 1
                        n = fake.token_requests
                    if q.get("grant_type") != "client_credential" or not q.get("appid"):
                        fake.errors.append("token request without grant_type/appid")
                    return self._answer(200, {"access_token": f"TOKEN{n}", "expires_in": 7200})
                self._answer(404, {})

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urlsplit(self.path)
                kind, key = fake._parse(url, self.headers, raw)
                with fake.lock:
                    mode = fake.script.pop(0) if fake.script else "ok"
                    fake.requests.append({"kind": kind, "key": key, "mode": mode, "path": self.path})
                    if mode in ("ok", "timeout") and key:
                        fake.accepted[key] += 1
                        fake.deliveries[key] = 1
                if mode == "timeout":
                    time.sleep(SLOW)
                    return self._answer(200, fake._ok(kind, key))
                if mode == "5xx":
                    return self._answer(503, {"message": "unavailable"})
                if mode == "ratelimit":
                    return self._answer(200, fake._limited(kind))
                if mode == "bad":
                    return self._answer(200, fake._bad(kind))
                if mode == "token":
                    return self._answer(200, {"errcode": 42001, "errmsg": "access_token expired"})
                return self._answer(200, fake._ok(kind, key))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeProvider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def sends(self, kind: str | None = None) -> list[dict]:
        return [r for r in self.requests if kind is None or r["kind"] == kind]

    # --- the three providers ---------------------------------------------------------------------------

    def _parse(self, url, headers, raw: bytes) -> tuple[str, str]:
        if url.path == "/cgi-bin/message/template/send":
            body = json.loads(raw)
            q = dict(parse_qsl(url.query))
            if not q.get("access_token", "").startswith("TOKEN"):
                self.errors.append("wechat send without an access token")
            for f in ("touser", "template_id", "data"):
                if f not in body:
                    self.errors.append(f"wechat send without {f}")
            return "wechat", body.get("client_msg_id", "")
        if headers.get("X-TC-Action") == "SendSms":
            payload = raw.decode()
            ts = int(headers.get("X-TC-Timestamp") or 0)
            host = headers.get("Host", "")
            want = tencent.authorization(payload, host, ts, "AKIDtest", TENCENT_SECRET)
            if headers.get("Authorization") != want:
                self.errors.append("tencent signature mismatch")
            body = json.loads(payload)
            for f in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId", "TemplateParamSet"):
                if f not in body:
                    self.errors.append(f"tencent send without {f}")
            return "tencent", body.get("SessionContext", "")
        params = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        if params.get("Action") == "SendSms":
            sig = params.pop("Signature", "")
            if sig != aliyun.sign(params, ALIYUN_SECRET):
                self.errors.append("aliyun signature mismatch")
            for f in ("PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"):
                if f not in params:
                    self.errors.append(f"aliyun send without {f}")
            json.loads(params.get("TemplateParam") or "{}")
            return "aliyun", params.get("OutId", "")
        self.errors.append(f"unknown request {url.path}")
        return "unknown", ""

    @staticmethod
    def _ok(kind: str, key: str) -> dict:
        if kind == "aliyun":
            return {"Code": "OK", "Message": "OK", "BizId": f"biz-{key}", "RequestId": "r"}
        if kind == "tencent":
            return {
                "Response": {"SendStatusSet": [{"SerialNo": f"sn-{key}", "Code": "Ok", "Fee": 1}], "RequestId": "r"}
            }
        return {"errcode": 0, "errmsg": "ok", "msgid": 1000 + abs(hash(key)) % 1000}

    @staticmethod
    def _limited(kind: str) -> dict:
        if kind == "aliyun":
            return {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}
        if kind == "tencent":
            return {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "too many"}, "RequestId": "r"}}
        return {"errcode": 45009, "errmsg": "reach max api daily quota limit"}

    @staticmethod
    def _bad(kind: str) -> dict:
        if kind == "aliyun":
            return {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        if kind == "tencent":
            return {"Response": {"Error": {"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "bad"}}}
        return {"errcode": 40003, "errmsg": "invalid openid"}
