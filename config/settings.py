"""caiji settings: one module driven by environment variables.

The embedded default (no variables set but DEBUG=1) is SQLite in WAL mode, inline Celery tasks,
files under one data directory and e-mail to the console. Production differs only by
environment variables: see docs/operations.md and .env.example.
"""

import importlib.util
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("CAIJI_DATA_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)

# The embedded default (no DATABASE_URL: SQLite under DATA_DIR) needs no settings at all, so
# that every command of the README runs as written; a production start (DATABASE_URL set) with a
# missing or example secret refuses. manage.py and config/wsgi.py print the refusal as one line.
EMBEDDED = not env_str("DATABASE_URL")
EXAMPLE_SECRETS = {"change-me-to-a-long-random-string", "change-me", "secret", "changeme"}


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key and not DEBUG and not EMBEDDED and (key in EXAMPLE_SECRETS or len(key) < 32):
        raise ImproperlyConfigured(
            "SECRET_KEY is the example value or shorter than 32 characters: set a long random "
            "secret in .env (python3 -c 'import secrets; print(secrets.token_urlsafe(64))')."
        )
    if key:
        return key
    if DEBUG:
        return "insecure-embedded-default-key-only-for-local-demo-use-0123456789"
    if EMBEDDED:
        return _installation_secret(DATA_DIR / "secret_key")
    raise ImproperlyConfigured(
        "SECRET_KEY is not set: production (DATABASE_URL) needs a long random secret in .env "
        "(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')."
    )


def _installation_secret(path: Path) -> str:
    """The embedded installation's own secret, made once (readable by its owner only)."""
    import os
    import secrets

    try:
        return path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(handle, "w") as out:
            out.write(secrets.token_urlsafe(64))
        return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG or EMBEDDED else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "guardian",
    "import_export",
    "axes",
    "accounts",
    "collection",
    "review",
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.input.DropControlCharacterCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.input.RefuseControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.sessions.SessionIdleMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "accounts.middleware.ForcePasswordChangeMiddleware",
    "accounts.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.navigation",
                "accounts.context_processors.inbox",
            ],
        },
    },
]

# Database: PostgreSQL from DATABASE_URL in production, SQLite (WAL) otherwise.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "caiji.sqlite3"),
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis is the Celery broker and the cache when REDIS_URL is set; without it tasks run inline.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # A Redis restart must not fail pages: the cache answers as empty meanwhile (docs/faults.md).
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Asia/Shanghai"
# Celery beat (`celery -A config beat`): the outbox is swept every minute (messages left pending
# while Redis or the worker was down, and retries after a failure); reminders go out at 8:00.
CELERY_BEAT_SCHEDULE = {
    "send-outbox": {"task": "accounts.tasks.send_outbox", "schedule": 60.0},
    "deadline-reminders": {
        "task": "review.tasks.deadline_reminders",
        "schedule": crontab(hour=8, minute=0),
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
GUARDIAN_ANONYMOUS_USER_NAME = None
ANONYMOUS_USER_NAME = None

# django-axes: lock the account (by 工号) after five failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Number of trusted reverse proxies in front of the app: the audit trail, the limit on failed
# sign-ins and axes read the client's address from X-Forwarded-For behind them. 0 here (the
# embedded default is reached directly); 1 in the compose deployment, behind its TLS proxy.
CAIJI_PROXY_COUNT = env_int("CAIJI_PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = CAIJI_PROXY_COUNT or None

# Sessions end after CAIJI_SESSION_IDLE_MINUTES without a request (config/sessions.py moves the
# end forward, saving at most once a minute) and when the browser closes. See docs/security.md.
CAIJI_SESSION_IDLE_MINUTES = env_int("CAIJI_SESSION_IDLE_MINUTES", 120)
if CAIJI_SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured("CAIJI_SESSION_IDLE_MINUTES must be at least 1.")
SESSION_COOKIE_AGE = CAIJI_SESSION_IDLE_MINUTES * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True


# Rate limits (config/ratelimit.py), counted in the default cache: uploads per person and failed
# sign-ins per client address (past it a wrong password is answered 429; the right one always
# signs in), as "count/period" (period s, m, h or d, e.g. 30/m) or "off".
def _rate(name: str, default: str) -> str:
    value = env_str(name, default).strip()
    if not re.fullmatch(r"off|[1-9][0-9]*/[0-9]*[smhd]", value):
        raise ImproperlyConfigured(
            f"{name} must look like 30/m (count/period) or off; got {value!r}"
        )
    return value


CAIJI_UPLOAD_RATE = _rate("CAIJI_UPLOAD_RATE", "30/m")
CAIJI_LOGIN_RATE = _rate("CAIJI_LOGIN_RATE", "20/m")
RATELIMIT_FAIL_OPEN = True  # a counter the cache lost lets the request through

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("CAIJI_STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS: list[str | tuple[str, str]] = [str(BASE_DIR / "static")]
_bootstrap = importlib.util.find_spec("bootstrap")
if _bootstrap is not None and _bootstrap.submodule_search_locations:
    # Bootstrap's compiled CSS and JS come from the bootstrap-wrapper package on PyPI.
    STATICFILES_DIRS.append(("bootstrap", next(iter(_bootstrap.submodule_search_locations))))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = DATA_DIR / "files"
# Stored files (uploads, attachments, export packages) have no public URL: no MEDIA_URL route
# exists and every download goes through a permission-checked view. WhiteNoise serves everything
# under STATIC_ROOT, so the data directory must never be inside it.
if DATA_DIR.is_relative_to(STATIC_ROOT.resolve()):
    raise ImproperlyConfigured(
        f"CAIJI_STATIC_ROOT ({STATIC_ROOT}) must not contain CAIJI_DATA_DIR ({DATA_DIR}): "
        "the stored files would be served to anybody."
    )
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Outgoing mail: SMTP when EMAIL_HOST is set, otherwise written as files under
# CAIJI_DATA_DIR/mail (the embedded default; nothing leaves the machine). Notifications are sent
# from the outbox (accounts/notifications.py).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # SMTP over SSL, usually port 465
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "caiji@localhost")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
# The site's address as people reach it (e.g. https://caiji.example.edu.cn): links in e-mails and
# group-robot messages start with it. Empty: the links are paths only.
CAIJI_SITE_URL = env_str("CAIJI_SITE_URL")

# Import of units and people (office pages).
CAIJI_IMPORT_MAX_BYTES = env_int("CAIJI_IMPORT_MAX_BYTES", 5 * 1024 * 1024)

# Production hardening: on whenever DEBUG is off.
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("SECURE_PROXY_SSL_HEADER", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False

# Content-Security-Policy (django-csp): scripts, styles and everything else only from this site;
# no inline script, no inline style, no style attribute, no plugin, no framing. Templates and
# static/js keep to it (tests/browser/test_csp.py); see docs/security.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap's icons are data: URIs in its CSS
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# axes.W006 asks to lock by address too; a college's staff share one NAT address, so locking by
# address would lock everybody out after five typos. Accounts are locked by 工号 instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Uploads of filled templates: refused beyond these limits, with a clear message.
CAIJI_UPLOAD_MAX_BYTES = env_int("CAIJI_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
CAIJI_UPLOAD_MAX_ROWS = env_int("CAIJI_UPLOAD_MAX_ROWS", 200_000)
CAIJI_UPLOAD_MAX_COLUMNS = env_int("CAIJI_UPLOAD_MAX_COLUMNS", 200)
CAIJI_UPLOAD_MAX_UNCOMPRESSED = env_int("CAIJI_UPLOAD_MAX_UNCOMPRESSED", 1024 * 1024 * 1024)
# Contribution uploads larger than this are read and checked in a Celery task (UploadJob) with
# visible progress; a job that has not moved for CAIJI_UPLOAD_JOB_STALE_SECONDS is shown as stopped.
CAIJI_UPLOAD_INLINE_MAX_BYTES = env_int("CAIJI_UPLOAD_INLINE_MAX_BYTES", 1024 * 1024)
CAIJI_UPLOAD_JOB_STALE_SECONDS = env_int("CAIJI_UPLOAD_JOB_STALE_SECONDS", 600)
# Attachments of announcements (通知公告): the work plan, training slides, …
CAIJI_ANNOUNCEMENT_MAX_BYTES = env_int("CAIJI_ANNOUNCEMENT_MAX_BYTES", 50 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
