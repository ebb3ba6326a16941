"""Each channel with the fake providers on loopback: success, timeout, 5xx, rate limit → retried with
backoff; permanent refusals fail at once; never a second delivery (the key, counted by the server)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.notify import services
from gongzhi.notify.models import Message

NOON = timezone.make_aware(dt.datetime(2026, 12, 7, 12, 0))

ADDRESS = {"aliyun": "13812345678", "tencent": "13812345678", "wechat": "oOPENID-test", "email": "a@example.org"}
CHANNEL = {"aliyun": "sms", "tencent": "sms", "wechat": "wechat", "email": "email"}


def _use(settings, provider: str) -> None:
    settings.GONGZHI_NOTIFY_SMS = provider if provider in ("aliyun", "tencent") else "console"
    settings.GONGZHI_NOTIFY_WECHAT = "wechat" if provider == "wechat" else "console"
    settings.GONGZHI_NOTIFY_EMAIL = "django" if provider == "email" else "console"


def _message(provider: str, key: str = "e1:u:1") -> Message:
    ch = CHANNEL[provider]
    return Message.objects.create(
        key=f"{key}:{ch}",
        event_id=None,
        recipient="u:1",
        channel=ch,
        address=ADDRESS[provider],
        template="request_resolved",
        params={"number": "2026120700001", "url": "https://gongzhi.example/notify/rate/x/"},
        created_at=NOON,
    )


@pytest.mark.parametrize("provider", ["aliyun", "tencent", "wechat"])
def test_success_sends_once_with_the_key(db, providers, settings, provider):
    _use(settings, provider)
    m = _message(provider)
    assert services.send_due(SYSTEM, now=NOON) == {"sent": 1}
    m.refresh_from_db()
    assert m.status == "sent" and m.attempts == 1 and m.provider_id and m.sent_at
    assert providers.errors == []
    assert providers.accepted[m.key] == 1 and providers.deliveries[m.key] == 1
    # a later run sends nothing again
    assert services.send_due(SYSTEM, now=NOON + dt.timedelta(hours=2)) == {}
    assert len(providers.sends(provider)) == 1


@pytest.mark.parametrize("provider", ["aliyun", "tencent", "wechat"])
@pytest.mark.parametrize("failure", ["5xx", "ratelimit", "timeout"])
def test_transient_failures_are_retried_with_backoff_never_duplicated(db, providers, settings, provider, failure):
    _use(settings, provider)
    providers.script = [failure, failure]
    m = _message(provider)
    assert services.send_due(SYSTEM, now=NOON) == {"queued": 1}
    m.refresh_from_db()
    assert m.status == "queued" and m.attempts == 1 and m.next_attempt_at == NOON + dt.timedelta(seconds=30)
    assert m.last_error
    # not before its time
    assert services.send_due(SYSTEM, now=NOON + dt.timedelta(seconds=29)) == {}
    assert services.send_due(SYSTEM, now=NOON + dt.timedelta(seconds=30)) == {"queued": 1}
    m.refresh_from_db()
    assert m.attempts == 2 and m.next_attempt_at == NOON + dt.timedelta(seconds=90)  # doubled: 60 s later
    assert services.send_due(SYSTEM, now=NOON + dt.timedelta(seconds=90)) == {"sent": 1}
    m.refresh_from_db()
    assert m.status == "sent" and m.attempts == 3 and m.last_error == ""
    assert providers.errors == []
    sends = [r for r in providers.sends(provider) if r["key"] == m.key]
    assert len(sends) == 3  # every attempt carried the same key
    assert providers.deliveries[m.key] == 1  # and reached the phone once
    if failure == "timeout":
        # the provider had taken the timed-out attempts: only the key kept them from being delivered again
        assert providers.accepted[m.key] == 3
    else:
        assert providers.accepted[m.key] == 1  # nothing sent again after it was taken
    assert services.send_due(SYSTEM, now=NOON + dt.timedelta(hours=3)) == {}


@pytest.mark.parametrize("provider", ["aliyun", "tencent", "wechat"])
def test_permanent_refusal_fails_at_once(db, providers, settings, provider):
    _use(settings, provider)
    providers.script = ["bad"]
    m = _message(provider)
    assert services.send_due(SYSTEM, now=NOON) == {"failed": 1}
    m.refresh_from_db()
    assert m.status == "failed" and m.attempts == 1 and m.next_attempt_at is None
    assert services.send_due(SYSTEM, now=NOON + dt.timedelta(days=1)) == {}
    assert len(providers.sends(provider)) == 1


def test_gives_up_after_the_last_attempt(db, providers, settings):
    _use(settings, "aliyun")
    settings.GONGZHI_NOTIFY_MAX_ATTEMPTS = 3
    providers.script = ["5xx"] * 5
    m = _message("aliyun")
    t = NOON
    for _ in range(3):
        services.send_due(SYSTEM, now=t)
        t += dt.timedelta(hours=2)
    m.refresh_from_db()
    assert m.status == "failed" and m.attempts == 3
    assert services.send_due(SYSTEM, now=t) == {}
    assert len(providers.sends("aliyun")) == 3 and providers.deliveries[m.key] == 0


def test_backoff_doubles_and_is_capped():
    assert [services.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert services.backoff(20) == dt.timedelta(hours=1)


def test_wechat_renews_an_expired_token_and_sends_with_the_same_key(db, providers, settings):
    _use(settings, "wechat")
    providers.script = ["token"]
    m = _message("wechat")
    assert services.send_due(SYSTEM, now=NOON) == {"sent": 1}
    assert providers.token_requests == 2
    sends = providers.sends("wechat")
    assert [r["key"] for r in sends] == [m.key, m.key] and providers.deliveries[m.key] == 1
    assert "access_token=TOKEN2" in sends[1]["path"]


def test_wechat_token_is_kept_between_messages(db, providers, settings):
    _use(settings, "wechat")
    _message("wechat", "e1:u:1")
    _message("wechat", "e2:u:1")
    assert services.send_due(SYSTEM, now=NOON) == {"sent": 2}
    assert providers.token_requests == 1


def test_aliyun_request_carries_template_code_params_and_out_id(db, providers, settings):
    _use(settings, "aliyun")
    m = _message("aliyun")
    from gongzhi.notify.channels.aliyun import AliyunSms

    params = AliyunSms().params(services.outgoing(m), nonce="n")
    assert params["TemplateCode"] == "SMS_0001" and params["OutId"] == m.key
    assert json.loads(params["TemplateParam"])["number"] == "2026120700001"
    assert params["SignatureMethod"] == "HMAC-SHA1" and params["Version"] == "2017-05-25"


def test_aliyun_signature_follows_the_rpc_rules():
    """Percent-encoding per RFC 3986 (space %20, * %2A, ~ kept), sorted parameters, key = secret + "&"."""
    import base64
    import hashlib
    import hmac

    from gongzhi.notify.channels.aliyun import percent, sign

    assert percent("a b*c~/") == "a%20b%2Ac~%2F"
    params = {"B": "2", "A": "x y"}
    expected = base64.b64encode(hmac.new(b"s&", b"POST&%2F&A%3Dx%2520y%26B%3D2", hashlib.sha1).digest()).decode()
    assert sign(params, "s") == expected


def test_tencent_request_has_template_id_param_set_and_session_context(db, providers, settings):
    _use(settings, "tencent")
    m = _message("tencent")
    from gongzhi.notify.channels.tencent import TencentSms

    body = TencentSms().body(services.outgoing(m))
    assert body["PhoneNumberSet"] == ["+8613812345678"] and body["TemplateId"] == "SMS_0001"
    assert body["TemplateParamSet"] == ["2026120700001", "https://gongzhi.example/notify/rate/x/"]
    assert body["SessionContext"] == m.key


def test_email_through_django_mail(db, providers, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _use(settings, "email")
    _message("email")
    assert services.send_due(SYSTEM, now=NOON) == {"sent": 1}
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["a@example.org"] and "2026120700001" in sent.body and "/notify/rate/x/" in sent.body
    assert sent.extra_headers["Message-ID"].startswith("<e1.u.1.email@")
    assert services.send_due(SYSTEM, now=NOON + dt.timedelta(hours=1)) == {}
    assert len(mail.outbox) == 1


def test_email_transient_smtp_failure_is_retried(db, providers, settings, monkeypatch):
    import smtplib

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _use(settings, "email")
    from django.core.mail import EmailMessage

    real = EmailMessage.send
    calls = {"n": 0}

    def flaky(self, fail_silently=False):
        calls["n"] += 1
        if calls["n"] == 1:
            raise smtplib.SMTPServerDisconnected("gone")
        return real(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", flaky)
    m = _message("email")
    assert services.send_due(SYSTEM, now=NOON) == {"queued": 1}
    assert services.send_due(SYSTEM, now=NOON + dt.timedelta(minutes=1)) == {"sent": 1}
    m.refresh_from_db()
    assert m.status == "sent" and m.attempts == 2 and len(mail.outbox) == 1


def test_console_backend_writes_one_line(db, console_file):
    m = _message("aliyun")
    assert services.send_due(SYSTEM, now=NOON) == {"sent": 1}
    lines = console_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["key"] == m.key and "2026120700001" in line["text"] and line["subject"] == "诉求已办结"


def test_a_claimed_message_is_not_sent_by_a_second_sender(db, console_file):
    m = _message("aliyun")
    stale = Message.objects.get(pk=m.pk)
    assert services.deliver(m, now=NOON) == "sent"
    assert services.deliver(stale, now=NOON) == "skipped"  # its status and attempts moved on
    assert len(console_file.read_text().splitlines()) == 1


def test_cli_test_message(db, providers, settings):
    from io import StringIO

    from django.core.management import call_command

    _use(settings, "aliyun")
    out = StringIO()
    call_command("notify", "test", "sms", "13812345678", stdout=out)
    assert ": sent" in out.getvalue()
    assert len(providers.sends("aliyun")) == 1 and providers.errors == []
