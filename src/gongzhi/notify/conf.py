"""The notification settings: each read at call time from Django's settings, else the environment
(``GONGZHI_NOTIFY_*``, listed in docs/deploy.md and docs/notify.md), else the default."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "GONGZHI_NOTIFY_SMS": "console",  # console | aliyun | tencent
    "GONGZHI_NOTIFY_EMAIL": "console",  # console | django (Django's EMAIL_BACKEND)
    "GONGZHI_NOTIFY_WECHAT": "console",  # console | wechat
    "GONGZHI_NOTIFY_FILE": "",  # the console backend's JSON-lines file (default <var dir>/notify/messages.jsonl)
    "GONGZHI_NOTIFY_TIMEOUT": 5.0,  # seconds per provider call
    "GONGZHI_NOTIFY_MAX_ATTEMPTS": 6,
    "GONGZHI_NOTIFY_BACKOFF_SECONDS": 30,  # first retry after this, doubling, at most an hour
    "GONGZHI_NOTIFY_RATING_DAYS": 7,  # a rating link's life
    "GONGZHI_NOTIFY_BASE_URL": "",  # the site's address for links in messages (https://…)
    "GONGZHI_NOTIFY_QUIET": "22:00-07:00",  # the default quiet hours (district time); "" for none
    "GONGZHI_NOTIFY_SMS_TEMPLATES": "{}",  # JSON: template code -> the provider's template id
    "GONGZHI_NOTIFY_WECHAT_TEMPLATES": "{}",  # JSON: template code -> the official account's template_id
    "GONGZHI_NOTIFY_ALIYUN_ENDPOINT": "https://dysmsapi.aliyuncs.com/",
    "GONGZHI_NOTIFY_ALIYUN_ACCESS_KEY_ID": "",
    "GONGZHI_NOTIFY_ALIYUN_ACCESS_KEY_SECRET": "",
    "GONGZHI_NOTIFY_ALIYUN_SIGN_NAME": "",
    "GONGZHI_NOTIFY_TENCENT_ENDPOINT": "https://sms.tencentcloudapi.com/",
    "GONGZHI_NOTIFY_TENCENT_SECRET_ID": "",
    "GONGZHI_NOTIFY_TENCENT_SECRET_KEY": "",
    "GONGZHI_NOTIFY_TENCENT_SDK_APP_ID": "",
    "GONGZHI_NOTIFY_TENCENT_SIGN_NAME": "",
    "GONGZHI_NOTIFY_TENCENT_REGION": "ap-guangzhou",
    "GONGZHI_NOTIFY_SMTP_HOST": "",  # with GONGZHI_NOTIFY_EMAIL=django: the SMTP server (else Django's EMAIL_* settings)
    "GONGZHI_NOTIFY_SMTP_PORT": 587,
    "GONGZHI_NOTIFY_SMTP_USER": "",
    "GONGZHI_NOTIFY_SMTP_PASSWORD": "",
    "GONGZHI_NOTIFY_SMTP_TLS": "1",
    "GONGZHI_NOTIFY_EMAIL_FROM": "",  # the sender address (else Django's DEFAULT_FROM_EMAIL)
    "GONGZHI_NOTIFY_WECHAT_ENDPOINT": "https://api.weixin.qq.com",
    "GONGZHI_NOTIFY_WECHAT_APP_ID": "",
    "GONGZHI_NOTIFY_WECHAT_APP_SECRET": "",
}


def get(name: str) -> Any:
    default = DEFAULTS[name]
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None:
        return default
    if isinstance(default, float):
        return float(value)
    if isinstance(default, int) and not isinstance(default, bool):
        return int(value)
    return value


def templates(name: str) -> dict[str, str]:
    value = get(name)
    return json.loads(value) if isinstance(value, str) else dict(value)


def console_file() -> Path:
    path = get("GONGZHI_NOTIFY_FILE")
    return Path(path) if path else Path(settings.VAR_DIR) / "notify" / "messages.jsonl"
