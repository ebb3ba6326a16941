"""The notify app's part of ``gongzhi demo``: preferences for the demo's log-ins (the console transport is
the default, so nothing leaves the machine): the grid worker wants a digest, the department staff e-mail,
the resident SMS with the default quiet hours."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from gongzhi.core.actors import SYSTEM

from . import services

DEMO_PREFERENCES: dict[str, dict[str, Any]] = {
    "grid": {"channels": ["sms"], "digest": True},
    "dept": {"channels": ["email", "sms"]},
    "resident": {"channels": ["sms", "email"]},
    "admin": {"channels": ["email"]},
}


def generate(**_kw: Any) -> dict[str, int]:
    User = get_user_model()
    made = 0
    for username, prefs in DEMO_PREFERENCES.items():
        user = User.objects.filter(username=username).first()
        if user is not None:
            services.set_preference(SYSTEM, user, **prefs)
            made += 1
    return {"preferences": made}
