"""E-mail through Django's mail (``EMAIL_BACKEND``; SMTP in production). The key is the Message-ID,
so a mail server or client that sees the same message twice can tell."""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from .. import conf
from .base import Backend, Outgoing, SendError


def connection() -> Any:
    """The SMTP connection of ``GONGZHI_NOTIFY_SMTP_*`` when a host is set, else Django's mail settings."""
    host = conf.get("GONGZHI_NOTIFY_SMTP_HOST")
    if not host:
        return get_connection()
    return get_connection(
        "django.core.mail.backends.smtp.EmailBackend",
        host=host,
        port=conf.get("GONGZHI_NOTIFY_SMTP_PORT"),
        username=conf.get("GONGZHI_NOTIFY_SMTP_USER") or None,
        password=conf.get("GONGZHI_NOTIFY_SMTP_PASSWORD") or None,
        use_tls=str(conf.get("GONGZHI_NOTIFY_SMTP_TLS")) == "1",
        timeout=conf.get("GONGZHI_NOTIFY_TIMEOUT"),
    )


class DjangoEmail(Backend):
    name = "django"

    def send(self, out: Outgoing) -> str:
        domain = getattr(settings, "GONGZHI_NOTIFY_EMAIL_DOMAIN", "gongzhi.local")
        msgid = f"<{out.key.replace(':', '.')}@{domain}>"
        body = out.text
        mail = EmailMessage(
            subject=out.subject,
            body=body,
            from_email=conf.get("GONGZHI_NOTIFY_EMAIL_FROM") or None,
            to=[out.address],
            headers={"Message-ID": msgid},
            connection=connection(),
        )
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise SendError(f"recipient refused: {exc}", transient=False, code="refused") from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(
                f"SMTP {exc.smtp_code}", transient=400 <= exc.smtp_code < 500, code=f"smtp_{exc.smtp_code}"
            ) from None
        except (smtplib.SMTPException, TimeoutError, OSError) as exc:
            raise SendError(f"mail not sent: {exc}", transient=True, code="smtp") from None
        return msgid
