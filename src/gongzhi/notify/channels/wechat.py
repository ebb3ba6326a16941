"""WeChat official-account template messages (公众号模板消息): an access token from
``/cgi-bin/token`` (kept until shortly before it expires, renewed when the API says it is invalid), then
``/cgi-bin/message/template/send`` with ``template_id``, ``data`` and the key as ``client_msg_id`` (the
platform drops a repeated id)."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlencode

from .. import conf
from .base import Backend, Outgoing, SendError, http_json

TRANSIENT = {-1, 45009, 45047}  # system busy, API call limit, too many messages to one user
TOKEN_INVALID = {40001, 40014, 42001}

_lock = threading.Lock()
_token: dict[str, tuple[str, float]] = {}  # app id -> (token, expires at: time.monotonic())


def clear_token() -> None:
    with _lock:
        _token.clear()


class WechatTemplate(Backend):
    name = "wechat"

    def _base(self) -> str:
        return conf.get("GONGZHI_NOTIFY_WECHAT_ENDPOINT").rstrip("/")

    def access_token(self, *, renew: bool = False) -> str:
        app_id = conf.get("GONGZHI_NOTIFY_WECHAT_APP_ID")
        with _lock:
            held = _token.get(app_id)
            if held and not renew and held[1] > time.monotonic():
                return held[0]
        q = urlencode(
            {"grant_type": "client_credential", "appid": app_id, "secret": conf.get("GONGZHI_NOTIFY_WECHAT_APP_SECRET")}
        )
        data = http_json("GET", f"{self._base()}/cgi-bin/token?{q}")
        if "access_token" not in data:
            code = int(data.get("errcode", 0) or 0)
            raise SendError(
                f"WeChat token {code}: {data.get('errmsg', '')}", transient=code in TRANSIENT, code=str(code)
            )
        token = str(data["access_token"])
        with _lock:
            _token[app_id] = (token, time.monotonic() + max(60, int(data.get("expires_in", 7200)) - 300))
        return token

    def body(self, out: Outgoing) -> dict:
        ids = conf.templates("GONGZHI_NOTIFY_WECHAT_TEMPLATES")
        data = {k: {"value": str(v)} for k, v in out.params.items()}
        data["first"] = {"value": out.subject}
        body = {
            "touser": out.address,
            "template_id": ids.get(out.template, out.template),
            "data": data,
            "client_msg_id": out.key,
        }
        if out.url:
            body["url"] = out.url
        return body

    def send(self, out: Outgoing) -> str:
        payload = json.dumps(self.body(out), ensure_ascii=False).encode("utf-8")
        for attempt in (0, 1):
            token = self.access_token(renew=attempt > 0)
            data = http_json(
                "POST",
                f"{self._base()}/cgi-bin/message/template/send?access_token={token}",
                body=payload,
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
            code = int(data.get("errcode", 0) or 0)
            if code == 0:
                return str(data.get("msgid", ""))
            if code in TOKEN_INVALID and attempt == 0:
                continue  # renew the token once, then send again (same client_msg_id)
            raise SendError(f"WeChat {code}: {data.get('errmsg', '')}", transient=code in TRANSIENT, code=str(code))
        raise SendError("WeChat: access token refused", transient=True, code="token")
