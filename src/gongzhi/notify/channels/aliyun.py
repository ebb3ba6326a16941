"""Aliyun SMS (阿里云短信服务): the ``SendSms`` action of the RPC API (version 2017-05-25), signed with
HMAC-SHA1 as Aliyun's RPC signature describes (sorted, RFC 3986-encoded parameters; key = secret + "&").
The message text is the provider's template (``TemplateCode``) filled with ``TemplateParam``; the key is
``OutId``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from urllib.parse import quote

from .. import conf
from .base import Backend, Outgoing, SendError, http_json

#: Answer codes worth retrying: flow control and the provider's own failures.
TRANSIENT = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User", "ServiceUnavailable", "InternalError"}


def percent(s: str) -> str:
    return quote(s, safe="~")


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent(k)}={percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent('/')}&{percent(canonical)}"
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def phone_number(address: str) -> str:
    return address.removeprefix("+86")


class AliyunSms(Backend):
    name = "aliyun"

    def params(self, out: Outgoing, *, now: dt.datetime | None = None, nonce: str | None = None) -> dict[str, str]:
        codes = conf.templates("GONGZHI_NOTIFY_SMS_TEMPLATES")
        now = now or dt.datetime.now(dt.UTC)
        return {
            "AccessKeyId": conf.get("GONGZHI_NOTIFY_ALIYUN_ACCESS_KEY_ID"),
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": out.key,
            "PhoneNumbers": phone_number(out.address),
            "RegionId": "cn-hangzhou",
            "SignName": conf.get("GONGZHI_NOTIFY_ALIYUN_SIGN_NAME"),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": codes.get(out.template, out.template),
            "TemplateParam": json.dumps({k: str(v) for k, v in out.params.items()}, ensure_ascii=False),
            "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }

    def send(self, out: Outgoing) -> str:
        params = self.params(out)
        params["Signature"] = sign(params, conf.get("GONGZHI_NOTIFY_ALIYUN_ACCESS_KEY_SECRET"))
        body = "&".join(f"{percent(k)}={percent(v)}" for k, v in params.items()).encode()
        data = http_json(
            "POST",
            conf.get("GONGZHI_NOTIFY_ALIYUN_ENDPOINT"),
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        code = str(data.get("Code", ""))
        if code == "OK":
            return str(data.get("BizId", ""))
        raise SendError(f"Aliyun {code}: {data.get('Message', '')}", transient=code in TRANSIENT, code=code)
