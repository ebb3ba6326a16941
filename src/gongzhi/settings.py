"""Django settings for Gongzhi.

Everything that differs between a laptop and a district server comes from the
environment: ``DATABASE_URL`` (default: SQLite in ``var/``), ``GONGZHI_VAR_DIR``,
``GONGZHI_SECRET_KEY``, ``GONGZHI_DEBUG``, ``GONGZHI_TASKS`` (``database`` or
``immediate``), ``GONGZHI_TILE_URL`` (an optional map tile URL).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("GONGZHI_VAR_DIR", Path.cwd() / "var")).resolve()


def _secret_key() -> str:
    key = os.environ.get("GONGZHI_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("GONGZHI_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("GONGZHI_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("GONGZHI_CSRF_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "gongzhi.core",
    "gongzhi.org",
    "gongzhi.web",
    "gongzhi.api",
    "gongzhi.demo",
    "gongzhi.ledger",
    "gongzhi.consult",
    "gongzhi.resources",
    "gongzhi.cases",
    "gongzhi.alliances",
    "gongzhi.volunteers",
    "gongzhi.plans",
    "gongzhi.assessment",
    "gongzhi.burden",
    "gongzhi.command",
    "gongzhi.alerts",
    "gongzhi.incidents",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "gongzhi.urls"
WSGI_APPLICATION = "gongzhi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gongzhi.web.context.platform",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gongzhi.sqlite3'}",
        conn_max_age=int(os.environ.get("GONGZHI_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the task worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("GONGZHI_TASKS", "database") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# Map: no external tiles by default (the platform runs offline).
GONGZHI_TILE_URL = os.environ.get("GONGZHI_TILE_URL", "")
# Grid codes: district(6) + street(3) + community(3) + sequence(3), as in Beijing's grid standard.
GONGZHI_GRID_CODE_SEQUENCE_DIGITS = int(os.environ.get("GONGZHI_GRID_CODE_SEQUENCE_DIGITS", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"gongzhi": {"handlers": ["console"], "level": os.environ.get("GONGZHI_LOG_LEVEL", "INFO")}},
}

# Attachments on residents' requests (cases/attachments.py).
# How long a transaction that writes outbox events may stay open before a dispatcher's cursor may
# move past the events it has not committed (core.OutboxCursor).
GONGZHI_OUTBOX_SETTLE_SECONDS = int(os.environ.get("GONGZHI_OUTBOX_SETTLE_SECONDS", "3600"))
GONGZHI_ATTACHMENT_MAX_BYTES = int(os.environ.get("GONGZHI_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024))
GONGZHI_ATTACHMENT_MAX_COUNT = int(os.environ.get("GONGZHI_ATTACHMENT_MAX_COUNT", "3"))
GONGZHI_MEDIA_DIR = os.environ.get("GONGZHI_MEDIA_DIR", str(VAR_DIR / "media"))
