"""E-mail through Django's mail (``EMAIL_BACKEND``; SMTP in production). The key is the Message-ID,
so a mail server or client that sees the same message twice can tell."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage

from .base import Backend, Outgoing, SendError


class DjangoEmail(Backend):
    name = "django"

    def send(self, out: Outgoing) -> str:
        domain = getattr(settings, "GONGZHI_NOTIFY_EMAIL_DOMAIN", "gongzhi.local")
        msgid = f"<{out.key.replace(':', '.')}@{domain}>"
        body = out.text + (f"\n\n{out.url}" if out.url else "")
        mail = EmailMessage(subject=out.subject, body=body, to=[out.address], headers={"Message-ID": msgid})
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
