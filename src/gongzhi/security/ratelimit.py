"""Rate limits that hold across worker processes.

Counts live in the shared cache (``settings.CACHES["default"]``: Redis when configured, otherwise
the database cache with an atomic increment, ``security/cache.py``) and are kept by django-ratelimit,
so every gunicorn worker and every machine behind the same database sees the same count.
"""

from __future__ import annotations

from django.conf import settings
from django_ratelimit.core import get_usage, is_ratelimited


def client_ip(request) -> str:
    """The client's address for rate limits and lock-outs (``RATELIMIT_IP_META_KEY``,
    ``AXES_CLIENT_IP_CALLABLE``): ``REMOTE_ADDR``, or behind a proxy the header named by
    ``GONGZHI_CLIENT_IP_HEADER`` (the last address in it: the one the proxy itself added)."""
    header = settings.GONGZHI_CLIENT_IP_HEADER
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        last = value.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def limited(request, group: str, rate: str, *, key: str = "ip") -> bool:
    """Count this request in ``group`` for its client (``key``) and say whether it is over ``rate``
    (django-ratelimit notation: ``"20/m"``, ``"20/60s"``)."""
    return is_ratelimited(request, group=f"gongzhi.{group}", key=key, rate=rate, increment=True)


def reached(request, group: str, rate: str, *, key: str = "ip") -> bool:
    """Whether ``group`` has already counted ``rate``'s number for this client, counting nothing now."""
    usage = get_usage(request, group=f"gongzhi.{group}", key=key, rate=rate, increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def count_login_failure(sender, credentials=None, request=None, **kwargs):
    """``user_login_failed``: one more failed log-in from this address (see ``views.LoginView``)."""
    if request is not None:
        limited(request, "login-failures", settings.GONGZHI_LOGIN_RATE)
