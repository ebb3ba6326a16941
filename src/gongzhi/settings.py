"""Django settings for Gongzhi.

Everything that differs between a laptop and a district server comes from the
environment: ``DATABASE_URL`` (default: SQLite in ``var/``), ``GONGZHI_VAR_DIR``,
``GONGZHI_SECRET_KEY``, ``GONGZHI_DEBUG``, ``GONGZHI_TASKS`` (``database`` or
``immediate``), ``GONGZHI_TILE_URL`` (an optional map tile URL).
"""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from gongzhi.ops import dburl as _dburl
from gongzhi.ops import logs as _logs

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("GONGZHI_VAR_DIR", Path.cwd() / "var")).resolve()


def _mode() -> str:
    """``production`` or ``local``: GONGZHI_ENV when set; otherwise production exactly when
    GONGZHI_DEBUG=0 is set explicitly, as a deployment does (``make run`` and the tests set neither)."""
    mode = os.environ.get("GONGZHI_ENV", "").strip().lower()
    if not mode:
        mode = "production" if os.environ.get("GONGZHI_DEBUG", "").strip() == "0" else "local"
    if mode not in ("production", "local"):
        raise ImproperlyConfigured(f"GONGZHI_ENV must be 'production' or 'local', not {mode!r}")
    return mode


GONGZHI_PRODUCTION = _mode() == "production"


def _secret_key() -> str:
    key = os.environ.get("GONGZHI_SECRET_KEY", "").strip()
    if key:
        if GONGZHI_PRODUCTION and (len(key) < 50 or len(set(key)) < 5):
            raise ImproperlyConfigured(
                "GONGZHI_SECRET_KEY is too weak for production: give at least 50 random characters, e.g. "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
            )
        return key
    if GONGZHI_PRODUCTION:
        raise ImproperlyConfigured(
            "GONGZHI_SECRET_KEY is not set: in production the secret key is given explicitly (the same on every "
            "node), never made up on a host's disk. Generate one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    # Local mode (make run, tests): a key made once and kept in VAR_DIR.
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
if GONGZHI_PRODUCTION and DEBUG:
    raise ImproperlyConfigured("GONGZHI_DEBUG=1 is not allowed with GONGZHI_ENV=production")
if GONGZHI_PRODUCTION and not os.environ.get("GONGZHI_ALLOWED_HOSTS", "").strip():
    raise ImproperlyConfigured(
        "GONGZHI_ALLOWED_HOSTS is not set: in production name the host names the "
        "platform answers to, comma-separated (e.g. gongzhi.example.gov.cn)"
    )
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("GONGZHI_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GONGZHI_CSRF_ORIGINS", "").split(",") if o]

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
    "gongzhi.councils",
    "gongzhi.ops",
    "csp",
    "gongzhi.security",
    "gongzhi.privacy",
    "gongzhi.notify",
    "gongzhi.opendata",
    "gongzhi.patrols",
    "axes",
    "django_ratelimit",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "gongzhi.ops.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gongzhi.security.otp.StaffOTPMiddleware",
    "gongzhi.core.inputguard.InputGuardMiddleware",  # body caps (413) and NUL in URLs/forms (400)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A domain refusal that escapes a view is its 403/404/400 page, not a 500.
    "gongzhi.ops.errors.DomainErrorMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
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

# DATABASE_URL may name several PostgreSQL hosts (``postgresql://u@h1:5432,h2:5432/db?target_session_attrs=read-write``):
# a new connection goes to whichever accepts writes, so Django follows a failover (docs/deploy.md).
DATABASES = {
    "default": _dburl.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gongzhi.sqlite3'}",
        conn_max_age=int(os.environ.get("GONGZHI_CONN_MAX_AGE", "60")),
    )
}
if _dburl.pgbouncer_enabled() and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PgBouncer in transaction pooling: no server-side cursors, no prepared statements (Django's nor the
    # hot path's in core.bulksql, which reads GONGZHI_DB_PREPARE when it is imported, after this).
    _dburl.for_pgbouncer(DATABASES["default"])
    os.environ["GONGZHI_DB_PREPARE"] = "0"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the task worker writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# A read replica (issue 18): with DATABASE_REPLICA_URL (the standby, e.g. through its own PgBouncer, or a
# multi-host URL with target_session_attrs=prefer-standby) the command centre's pages, the figures page and
# the public ledger's pages read from it (gongzhi.core.replica, which names what and shows how fresh it
# is); every write, every migration and everything else stays on "default". Without it nothing changes.
_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if _REPLICA_URL:
    DATABASES["replica"] = _dburl.parse(_REPLICA_URL, conn_max_age=int(os.environ.get("GONGZHI_CONN_MAX_AGE", "60")))
    if _dburl.pgbouncer_enabled() and DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        _dburl.for_pgbouncer(DATABASES["replica"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["gongzhi.core.replica.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Password policy (MLPS 2.0 level 3): at least GONGZHI_PASSWORD_MIN_LENGTH characters, not a common
# password, not all digits, not like the user's own name or e-mail. Applied wherever a password is set
# through Django (admin, changepassword, forms); demo users are written with their hash directly.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("GONGZHI_PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every log-in first: GONGZHI_LOGIN_FAILURE_LIMIT failed attempts on one account
# lock it for GONGZHI_LOGIN_LOCKOUT_MINUTES (0: until an administrator runs `gongzhi axes_reset_username`).
# The count is per account (an office behind one address is not locked out by one colleague), kept
# in the database so every worker sees it, and cleared by a successful log-in.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("GONGZHI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = (
    datetime.timedelta(minutes=int(os.environ.get("GONGZHI_LOGIN_LOCKOUT_MINUTES", "30")))
    if int(os.environ.get("GONGZHI_LOGIN_LOCKOUT_MINUTES", "30")) > 0
    else None
)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock lasts its time, not longer on retries
AXES_LOCKOUT_CALLABLE = "gongzhi.security.lockout.lockout_response"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False
# Axes keeps only the failures it counts (cleared by a success or the cool-off); log-ins themselves are
# recorded, with their retention, in the security audit log (core.SecurityLog).
AXES_DISABLE_ACCESS_LOG = True
# Session expiry after inactivity: every request renews the session, so it ends
# GONGZHI_SESSION_IDLE_MINUTES after the last one.
SESSION_COOKIE_AGE = int(os.environ.get("GONGZHI_SESSION_IDLE_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True

# The shared cache: rate limits count here, so every worker process sees the same count.
# Redis when GONGZHI_CACHE_URL (or GONGZHI_REDIS_URL) is set, e.g. redis://127.0.0.1:6379/0;
# otherwise the database (table gongzhi_cache, created by `gongzhi migrate`).
_CACHE_URL = os.environ.get("GONGZHI_CACHE_URL") or os.environ.get("GONGZHI_REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL, "KEY_PREFIX": "gongzhi"}
        if _CACHE_URL
        else {"BACKEND": "gongzhi.security.cache.DatabaseCache", "LOCATION": "gongzhi_cache"}
    )
}
RATELIMIT_USE_CACHE = "default"
# Both backends are shared and increment atomically; django-ratelimit only knows memcached and
# django-redis by name.
# axes.W006 asks for the client address among the lock-out parameters; an address is limited by
# GONGZHI_LOGIN_RATE instead (failed log-ins per address, django-ratelimit notation), so one office
# behind one address is not locked out by a colleague's typing.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001", "axes.W006"]
GONGZHI_LOGIN_RATE = os.environ.get("GONGZHI_LOGIN_RATE", "30/10m")
# Second factor (TOTP, django-otp): anyone may bind an authenticator app at /account/2fa/, after which
# the log-in asks for its code; with GONGZHI_STAFF_OTP_REQUIRED=1 every staff account must bind one.
GONGZHI_STAFF_OTP_REQUIRED = os.environ.get("GONGZHI_STAFF_OTP_REQUIRED", "0") == "1"
OTP_TOTP_ISSUER = os.environ.get("GONGZHI_OTP_ISSUER", "Gongzhi")
# The client's address for rate limits and lock-outs: REMOTE_ADDR, or behind a proxy the header it sets,
# e.g. GONGZHI_CLIENT_IP_HEADER=X-Real-IP with nginx's `proxy_set_header X-Real-IP $remote_addr;`
# (without it every client behind the proxy shares the proxy's address, and one limit).
GONGZHI_CLIENT_IP_HEADER = os.environ.get("GONGZHI_CLIENT_IP_HEADER", "").strip()
RATELIMIT_IP_META_KEY = "gongzhi.security.ratelimit.client_ip"
AXES_CLIENT_IP_CALLABLE = "gongzhi.security.ratelimit.client_ip"
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
        ),
        # Named queues, each taken by its own workers (``gongzhi serve --role worker --queues ...``):
        # ``ledger`` (public events into the signed log), ``dispatch`` (the other event subscribers),
        # ``periodic`` (escalation, scans, checks enqueued by the scheduler) and ``default``.
        "QUEUES": ["default", "ledger", "dispatch", "periodic"],
    }
}
TASK_QUEUES = TASKS["default"]["QUEUES"]

# Map: no external tiles by default (the platform runs offline).
GONGZHI_TILE_URL = os.environ.get("GONGZHI_TILE_URL", "")
# Grid codes: district(6) + street(3) + community(3) + sequence(3), as in Beijing's grid standard.
GONGZHI_GRID_CODE_SEQUENCE_DIGITS = int(os.environ.get("GONGZHI_GRID_CODE_SEQUENCE_DIGITS", "3"))

# Everything to standard error with the request id; JSON lines with GONGZHI_LOG_FORMAT=json.
LOGGING = _logs.config(
    level=os.environ.get("GONGZHI_LOG_LEVEL", "INFO"), fmt=os.environ.get("GONGZHI_LOG_FORMAT", "text")
)

# Attachments on residents' requests (cases/attachments.py).
# How long a transaction that writes outbox events may stay open before a dispatcher's cursor may
# move past the events it has not committed (core.OutboxCursor).
GONGZHI_OUTBOX_SETTLE_SECONDS = int(os.environ.get("GONGZHI_OUTBOX_SETTLE_SECONDS", "3600"))
# Pruning (core/prune.py, daily): delivered outbox events nothing needs any more are kept this many days,
# idempotency keys this many (a client's retries come within minutes; filing uses the request's own key).
GONGZHI_OUTBOX_KEEP_DAYS = int(os.environ.get("GONGZHI_OUTBOX_KEEP_DAYS", "30"))
GONGZHI_IDEMPOTENCY_KEEP_DAYS = int(os.environ.get("GONGZHI_IDEMPOTENCY_KEEP_DAYS", "7"))
GONGZHI_ATTACHMENT_MAX_BYTES = int(os.environ.get("GONGZHI_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024))
GONGZHI_ATTACHMENT_MAX_COUNT = int(os.environ.get("GONGZHI_ATTACHMENT_MAX_COUNT", "3"))
GONGZHI_MEDIA_DIR = os.environ.get("GONGZHI_MEDIA_DIR", str(VAR_DIR / "media"))
# Attachments are read, written and deleted only through Django's default storage: a directory every app
# node shares (GONGZHI_MEDIA_DIR: NFS or similar when there are several nodes), or with GONGZHI_STORAGE=s3
# an S3-compatible bucket through django-storages (installed by the operator: pip install
# 'django-storages[s3]'; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; docs/deploy.md).
# Static files stay on each node.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": GONGZHI_MEDIA_DIR}},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
GONGZHI_STORAGE = os.environ.get("GONGZHI_STORAGE", "").strip().lower() or "filesystem"
if GONGZHI_STORAGE == "s3":
    if not os.environ.get("GONGZHI_S3_BUCKET", "").strip():
        raise ImproperlyConfigured("GONGZHI_STORAGE=s3 needs GONGZHI_S3_BUCKET (the bucket's name)")
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["GONGZHI_S3_BUCKET"].strip(),
            "endpoint_url": os.environ.get("GONGZHI_S3_ENDPOINT_URL", "").strip() or None,  # MinIO, Ceph, OSS…
            "region_name": os.environ.get("GONGZHI_S3_REGION", "").strip() or None,
            "location": os.environ.get("GONGZHI_S3_PREFIX", "").strip(),  # a key prefix within the bucket
            "default_acl": "private",  # attachments are personal data: never public objects
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
elif GONGZHI_STORAGE != "filesystem":
    raise ImproperlyConfigured(f"GONGZHI_STORAGE must be filesystem or s3, not {GONGZHI_STORAGE!r}")

# --------------------------------------------------------------------------- HTTP security
# Everywhere: no MIME sniffing, no framing, the referrer kept on this site, a content security
# policy (django-csp) that runs only this site's scripts (inline ones carry the request's nonce).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True


def _tile_origin(url: str) -> list[str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    return [f"{parts.scheme}://{parts.netloc}".replace("://a.", "://*.")] if parts.scheme and parts.netloc else []


from csp.constants import NONCE, NONE, SELF  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:", *_tile_origin(GONGZHI_TILE_URL)],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# In production, HTTPS: GONGZHI_HTTPS=proxy (default: TLS ends at a proxy such as nginx, which sets
# X-Forwarded-Proto), direct (TLS ends at gunicorn), or off (plain HTTP on a closed network; then
# `check --deploy` rightly warns).
GONGZHI_HTTPS = os.environ.get("GONGZHI_HTTPS", "proxy" if GONGZHI_PRODUCTION else "off").strip().lower()
if GONGZHI_HTTPS not in ("proxy", "direct", "off"):
    raise ImproperlyConfigured(f"GONGZHI_HTTPS must be proxy, direct or off, not {GONGZHI_HTTPS!r}")
if GONGZHI_HTTPS != "off":
    SECURE_SSL_REDIRECT = True
    # Load balancers probe over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("GONGZHI_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("GONGZHI_HSTS_SUBDOMAINS", "1") == "1"
    SECURE_HSTS_PRELOAD = os.environ.get("GONGZHI_HSTS_PRELOAD", "1") == "1"
    if GONGZHI_HTTPS == "proxy":
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# /readyz: how old the youngest worker heartbeat and the oldest public event not yet in the
# ledger may be before the platform reports itself not ready (seconds).
GONGZHI_READY_WORKER_MAX_AGE = int(os.environ.get("GONGZHI_READY_WORKER_MAX_AGE", "60"))
GONGZHI_READY_LEDGER_MAX_AGE = int(os.environ.get("GONGZHI_READY_LEDGER_MAX_AGE", "300"))

# Request body caps (h_input, issue 17 item 8; enforced by gongzhi.core.inputguard before a body is
# read, the lean intake route included): 413 above the cap. Attachment paths take the attachments
# plus the form; the grid import (GeoJSON) takes more. Django's own limit for bodies it reads into
# memory is set to the largest of them so the caps above are the ones that apply.
GONGZHI_MAX_BODY_BYTES = int(os.environ.get("GONGZHI_MAX_BODY_BYTES", 2_621_440))
GONGZHI_MAX_UPLOAD_BODY_BYTES = GONGZHI_ATTACHMENT_MAX_COUNT * GONGZHI_ATTACHMENT_MAX_BYTES + GONGZHI_MAX_BODY_BYTES
GONGZHI_MAX_IMPORT_BODY_BYTES = int(os.environ.get("GONGZHI_MAX_IMPORT_BODY_BYTES", 32 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = max(GONGZHI_MAX_BODY_BYTES, GONGZHI_MAX_IMPORT_BODY_BYTES)

# Security audit log (h_ledger, issue 17, MLPS 2.0 level 3): rows are kept at least this many days
# (never fewer than 180, whatever is set); `gongzhi auditlog prune` deletes older ones. The
# middleware lets the log name the user and address of the request that caused a row.
GONGZHI_SECURITY_LOG_RETENTION_DAYS = max(180, int(os.environ.get("GONGZHI_SECURITY_LOG_RETENTION_DAYS", "180")))
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "gongzhi.core.audit.AuditContextMiddleware",
)
