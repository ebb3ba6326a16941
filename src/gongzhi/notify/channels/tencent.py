"""Tencent Cloud SMS (腾讯云短信): ``SendSms`` (API 2021-01-11) signed with TC3-HMAC-SHA256. The text
is the provider's template (``TemplateId``) filled with ``TemplateParamSet`` (in the order the template
was registered: the params' order here); the key travels as ``SessionContext``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

from .. import conf
from .base import Backend, Outgoing, SendError, http_json

VERSION = "2021-01-11"
SERVICE = "sms"


def _is_transient(code: str) -> bool:
    return code.startswith(("RequestLimitExceeded", "InternalError")) or code in {
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "FailedOperation.FailResolvePacket",
    }


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def authorization(payload: str, host: str, timestamp: int, secret_id: str, secret_key: str) -> str:
    """The ``Authorization`` header of TC3-HMAC-SHA256 for a POST of ``payload`` (JSON) to ``host``."""
    ct = "application/json; charset=utf-8"
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{ct}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload.encode("utf-8")).hexdigest(),
        ]
    )
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


def phone_number(address: str) -> str:
    return address if address.startswith("+") else "+86" + address


class TencentSms(Backend):
    name = "tencent"

    def body(self, out: Outgoing) -> dict:
        codes = conf.templates("GONGZHI_NOTIFY_SMS_TEMPLATES")
        return {
            "PhoneNumberSet": [phone_number(out.address)],
            "SmsSdkAppId": conf.get("GONGZHI_NOTIFY_TENCENT_SDK_APP_ID"),
            "SignName": conf.get("GONGZHI_NOTIFY_TENCENT_SIGN_NAME"),
            "TemplateId": codes.get(out.template, out.template),
            "TemplateParamSet": [str(v) for v in out.params.values()],
            "SessionContext": out.key,
        }

    def send(self, out: Outgoing) -> str:
        endpoint = conf.get("GONGZHI_NOTIFY_TENCENT_ENDPOINT")
        host = urlsplit(endpoint).netloc
        payload = json.dumps(self.body(out), ensure_ascii=False, separators=(",", ":"))
        ts = int(time.time())
        headers = {
            "Authorization": authorization(
                payload,
                host,
                ts,
                conf.get("GONGZHI_NOTIFY_TENCENT_SECRET_ID"),
                conf.get("GONGZHI_NOTIFY_TENCENT_SECRET_KEY"),
            ),
            "Content-Type": "application/json; charset=utf-8",
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(ts),
            "X-TC-Version": VERSION,
            "X-TC-Region": conf.get("GONGZHI_NOTIFY_TENCENT_REGION"),
        }
        data = http_json("POST", endpoint, body=payload.encode("utf-8"), headers=headers)
        resp = data.get("Response") or {}
        if "Error" in resp:
            code = str(resp["Error"].get("Code", ""))
            raise SendError(
                f"Tencent {code}: {resp['Error'].get('Message', '')}", transient=_is_transient(code), code=code
            )
        statuses = resp.get("SendStatusSet") or []
        if not statuses:
            raise SendError("Tencent: no send status", transient=True, code="bad_answer")
        st = statuses[0]
        code = str(st.get("Code", ""))
        if code == "Ok":
            return str(st.get("SerialNo", ""))
        raise SendError(f"Tencent {code}: {st.get('Message', '')}", transient=_is_transient(code), code=code)
