"""Huxue settings: every deployment decision is read from the environment."""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from config.env import dev_secrets, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HUXUE_VAR_DIR", str(BASE_DIR / "var")))
# Uploaded photos: outside the static files, served only through huxue.files.views.
HUXUE_MEDIA_DIR = Path(env_str("HUXUE_MEDIA_DIR", str(VAR_DIR / "media")))

# HUXUE_ENV=production demands every secret from the environment; anything else is development.
PRODUCTION = env_str("HUXUE_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

_dev = {} if PRODUCTION else dev_secrets(VAR_DIR / "dev-secrets.json")


def _secret(name: str) -> str:
    value = env_str(name) or _dev.get(name, "")
    if not value:
        raise RuntimeError(f"{name} must be set in the environment when HUXUE_ENV=production")
    return value


SECRET_KEY = _secret("SECRET_KEY")
# "keyid:base64key,keyid:base64key": the first key encrypts, all of them decrypt (rotation).
HUXUE_FIELD_KEYS = _secret("HUXUE_FIELD_KEYS")
HUXUE_BLIND_INDEX_KEY = _secret("HUXUE_BLIND_INDEX_KEY")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
HUXUE_BASE_URL = env_str("HUXUE_BASE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "huxue.core",
    "huxue.orgs",
    "huxue.people",
    "huxue.posts",
    "huxue.calendar",
    "huxue.notify",
    "huxue.roster",
    "huxue.duty",
    "huxue.imports",
    "huxue.files",
    "huxue.supervision",
    "huxue.api",
    "huxue.web",
    "huxue.demo",
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
    "huxue.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = env_str("HUXUE_URLCONF", "config.urls")  # bench.urls adds bench views
if PRODUCTION and ROOT_URLCONF != "config.urls":
    raise RuntimeError("HUXUE_URLCONF (the benchmark's routes) is not for production")
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "huxue.web.context.navigation",
                "huxue.notify.context.inbox",
            ],
        },
    },
]

# SQLite in WAL mode is the zero-set-up default; DATABASE_URL selects PostgreSQL in production.
_sqlite_path = VAR_DIR / "huxue.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{_sqlite_path}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy timeout
        # instead of failing with "database is locked" half-way through a transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("HUXUE_SQLITE_TEST_NAME") or None}
else:
    # Parameters bound on the server, and psycopg preparing a statement a connection has run
    # five times (Django turns that off by default for poolers in transaction mode; behind one,
    # use PgBouncer 1.21+ with max_prepared_statements, docs/operations.md): PostgreSQL then
    # plans the check-in's gate read once per connection.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "orgs.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "huxue.core.passwords.CharacterClassValidator", "OPTIONS": {"classes": 3}},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

# Lockout after repeated failures (django-axes): per account, so a guesser cannot hop IPs.
AXES_FAILURE_LIMIT = env_int("HUXUE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("HUXUE_LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# Idle timeout: the session expires after this many idle minutes; every request renews it.
SESSION_COOKIE_AGE = env_int("HUXUE_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
# The live board's tiles refresh this often (seconds).
HUXUE_BOARD_POLL_SECONDS = env_int("HUXUE_BOARD_POLL_SECONDS", 15)
# The wall display (/duty/board/?wall=1) turns its pages this often (seconds).
HUXUE_WALL_PAGE_SECONDS = env_int("HUXUE_WALL_PAGE_SECONDS", 12)
# Accounts that are only duty members (huxue.web.sessions): days, renewed on use.
HUXUE_MEMBER_SESSION_DAYS = env_int("HUXUE_MEMBER_SESSION_DAYS", 30)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [Path(env_str("HUXUE_LOCALE_DIR", str(BASE_DIR / "locale")))]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = VAR_DIR / "media"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
HUXUE_IMPORT_MAX_BYTES = env_int("HUXUE_IMPORT_MAX_MB", 20) * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "huxue.api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "huxue.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Huxue API",
    "DESCRIPTION": "护学 — school-gate guard posts. Every endpoint applies the caller's scope.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name across resources get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "CheckInMethodEnum": "huxue.duty.models.CheckIn.Method",
        "CheckInByMemberMethodEnum": [("qr", "QR poster"), ("gps", "Phone location")],
        "CallOutStatusEnum": "huxue.duty.models.CallOut.Status",
        "ConsentMethodEnum": "huxue.people.models.Consent.Method",
        "RosterRunStatusEnum": "huxue.roster.models.RosterRun.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"hide_secrets": {"()": "huxue.core.logfilters.HideSecretStatements"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # With DEBUG and LOG_LEVEL=DEBUG, every statement is logged with its values: not those
        # that read API tokens, sessions or calendar addresses.
        "django.db.backends": {"filters": ["hide_secrets"]},
    },
}

# Axes warns unless lockout also keys on IP; we lock the account on purpose (see above).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Notifications (huxue.notify). Messages to a person go to their inbox in the app (消息) and out
# through the first of these that can reach them ("email" needs an address on the account;
# "console" always can); messages to a unit's group go to that group's configured robot webhook
# or mailbox.
HUXUE_NOTIFY_CHANNELS = env_list("HUXUE_NOTIFY_CHANNELS", "console")
HUXUE_NOTIFY_WEBHOOK_TIMEOUT = env_int("HUXUE_NOTIFY_WEBHOOK_TIMEOUT", 10)  # seconds
HUXUE_NOTIFY_MAX_ATTEMPTS = env_int("HUXUE_NOTIFY_MAX_ATTEMPTS", 5)
HUXUE_NOTIFY_RETRY_SECONDS = env_int("HUXUE_NOTIFY_RETRY_SECONDS", 60)  # doubles per attempt
# A row claimed this long ago and never marked sent counts as a failed attempt (the dispatcher
# died mid-send) and is retried; keep it well above the webhook and SMTP timeouts.
HUXUE_NOTIFY_CLAIM_TIMEOUT = env_int("HUXUE_NOTIFY_CLAIM_TIMEOUT", 300)  # seconds
HUXUE_NOTIFY_INTERVAL = env_int("HUXUE_NOTIFY_INTERVAL", 30)  # seconds between dispatch passes

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "huxue@localhost")

# Management commands that `manage.py serve` runs beside the web server (reminders, alerts…).
HUXUE_BACKGROUND_COMMANDS: list[list[str]] = [
    ["notify_dispatch", "--loop"],
    ["duty_watch", "--loop"],
]
