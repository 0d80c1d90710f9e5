"""One settings module for every mode, read from the environment with safe defaults.

Embedded mode (no ``DATABASE_URL``): SQLite in WAL mode inside ``DANGJIAN_DATA_DIR``, a
generated ``SECRET_KEY`` kept there, plain HTTP on 127.0.0.1.
Production (``DANGJIAN_PRODUCTION=1``): PostgreSQL from ``DATABASE_URL``, Secure/``__Host-``
cookies, HSTS; ``dangjian check --deploy`` fails loudly without them.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


DATA_DIR = Path(os.environ.get("DANGJIAN_DATA_DIR", Path.cwd() / "dangjian-data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
PRIVATE_DIR = DATA_DIR / "private"  # uploads, export files: never served as static files
PRIVATE_DIR.mkdir(exist_ok=True)

PRODUCTION = env_bool("DANGJIAN_PRODUCTION")
DEBUG = env_bool("DANGJIAN_DEBUG")


def _secret_key() -> str:
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "ninja",  # only for the vendored swagger-ui static files of /api/v1/docs (no CDN)
    "dangjian.core",
    "dangjian.accounts",
    "dangjian.audit",
    "dangjian.orgs",
    "dangjian.people",
    "dangjian.orglife",
    "dangjian.dues",
    "dangjian.development",
    "dangjian.reminders",
    "dangjian.transfers",
    "dangjian.appraisal",
    "dangjian.ledgers",
    "dangjian.surveys",
    "dangjian.assessment",
    "dangjian.dashboard",
    "dangjian.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "dangjian.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dangjian.audit.middleware.DenialAuditMiddleware",
    "dangjian.accounts.middleware.SessionPolicyMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "dangjian.core.middleware.HtmxRedirectMiddleware",
    "dangjian.core.middleware.TooManyRequestsMiddleware",
    "dangjian.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.core.context_processors.shell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if os.environ.get("DANGJIAN_TEST_DB_TEMPLATE"):  # e.g. a database with an ICU collation
        DATABASES["default"]["TEST"] = {"TEMPLATE": os.environ["DANGJIAN_TEST_DB_TEMPLATE"]}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "dangjian.sqlite3"),
            # persistent connections: a new SQLite connection per request re-reads the schema
            # and starts with an empty page cache (docs/decisions.md, "Persistent connections")
            "CONN_MAX_AGE": int(os.environ.get("DANGJIAN_CONN_MAX_AGE", "600")),
            "CONN_HEALTH_CHECKS": True,
            # WAL + busy timeout + IMMEDIATE write transactions: concurrent users wait for
            # the writer instead of failing with "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
    if os.environ.get("DANGJIAN_TEST_SQLITE"):  # a file instead of :memory: for subprocess tests
        DATABASES["default"]["TEST"] = {"NAME": os.environ["DANGJIAN_TEST_SQLITE"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- background jobs ------------------------------------------------------------------------
# Under pytest jobs run inline (ImmediateBackend) unless a test asks for the database queue.
_DEFAULT_TASK_BACKEND = (
    "django_tasks.backends.immediate.ImmediateBackend"
    if "pytest" in sys.modules
    else "django_tasks_db.DatabaseBackend"
)
TASKS = {
    "default": {"BACKEND": os.environ.get("DANGJIAN_TASK_BACKEND", _DEFAULT_TASK_BACKEND)},
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "dangjian",
    }
}

# --- authentication (SECURITY.md AUTH-*, SESS-*) ---------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "dangjian.accounts.passwords.MinimumLengthValidator"},  # rule, never below 8
    {"NAME": "dangjian.accounts.passwords.CharacterClassValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "first_name", "email")},
    },
    {"NAME": "dangjian.accounts.passwords.PersonalDataSimilarityValidator"},
    {"NAME": "dangjian.accounts.passwords.MaximumLengthValidator"},
    {"NAME": "dangjian.accounts.passwords.PasswordHistoryValidator"},
]
PASSWORD_RESET_TIMEOUT = 3600

SESSION_ENGINE = "dangjian.accounts.sessions"  # db store that deletes expired rows (RIP-01)
SESSION_COOKIE_AGE = 30 * 60  # idle timeout (SESS-01); the absolute limit lives in the rules
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env_bool("DANGJIAN_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Client IP: REMOTE_ADDR unless the request came through one of these proxies (AC-07).
TRUSTED_PROXIES = env_list("DANGJIAN_TRUSTED_PROXIES", [])
# Networks the three administrators may work from (AC-07); empty = anywhere.
ADMIN_NETWORKS = env_list("DANGJIAN_ADMIN_NETWORKS", [])

# --- crypto (CRY-02..05) --------------------------------------------------------------------
# Keys live outside the database: a JSON file in the data dir (embedded) or the path given.
FIELD_KEY_FILE = Path(os.environ.get("DANGJIAN_KEY_FILE", DATA_DIR / "keys" / "field-keys.json"))

# --- backups (BAK-01, BAK-04) -----------------------------------------------------------------
# Encrypted backups (``dangjian backup create``) go to BACKUP_DIR — point it at other storage
# than the data; the SM4 backup key is made on the first backup and must be kept off the host.
BACKUP_DIR = Path(os.environ.get("DANGJIAN_BACKUP_DIR", DATA_DIR / "backups"))
BACKUP_KEY_FILE = Path(
    os.environ.get("DANGJIAN_BACKUP_KEY_FILE", DATA_DIR / "keys" / "backup-key.hex")
)
# The scheduler makes one a day (skipped while the newest is younger than 23 hours) and keeps
# the newest BACKUP_KEEP; off under pytest, where tests make their own.
BACKUP_DAILY = (
    os.environ.get("DANGJIAN_BACKUP_DAILY", "0" if "pytest" in sys.modules else "1") == "1"
)
BACKUP_KEEP = int(os.environ.get("DANGJIAN_BACKUP_KEEP", "7"))

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = os.environ.get("TZ_NAME", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and uploads ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_DIR)},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
UPLOAD_MAX_BYTES = env_int("DANGJIAN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_TEMP_DIR = None

# --- audit ----------------------------------------------------------------------------------
AUDIT_RETENTION_DAYS = env_int("DANGJIAN_AUDIT_RETENTION_DAYS", 365)

# --- logging (OPS-01: docs/security.md lists what goes where) --------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "dangjian.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DANGJIAN_LOG_LEVEL", "WARNING")},
    "loggers": {
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "dangjian": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
# --- JSON API (dangjian/api.py, dangjian/core/api_auth.py) ----------------------------------
API_TOKEN_AUTHENTICATOR = "dangjian.accounts.tokens.token_authenticate"  # noqa: S105 (a dotted path)
# Rate-limit counters (IN-06); point this alias at a shared cache to count across processes.
API_RATE_LIMIT_CACHE = "default"
