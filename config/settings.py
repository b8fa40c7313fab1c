"""poster's settings, all read from the environment.

Every variable has a default that runs poster on one machine with no servers: SQLite
under var/, kombu's filesystem broker under var/broker, and media on local disk under
var/media. Production and CI point the same variables at PostgreSQL, Redis and S3.
The README lists every variable with its default.
"""

import contextlib
import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("POSTER_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)


def _secret_key_read_or_create(path: Path) -> str:
    """The key kept in `path`, first written there (random, mode 0600) if missing.

    `make run`, gunicorn, Celery and every `manage.py` command read this one file, so
    a session or signature made by one process holds in the others. A new key is
    written to a private temporary file and linked into place: of two processes
    starting at once, one key wins and neither reads a half-written file.
    """
    with contextlib.suppress(FileNotFoundError):
        return path.read_text().strip()
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return path.read_text().strip()


# Without SECRET_KEY in the environment, the embedded default (no DATABASE_URL: one
# machine) keeps its key in var/secret_key. A shared database means several hosts, where
# a key made up on each would break sessions and signatures between them: refuse, as
# for a SECRET_KEY that is present but empty (a deployment that lost its key).
if "SECRET_KEY" not in os.environ and "DATABASE_URL" not in os.environ:
    SECRET_KEY = _secret_key_read_or_create(VAR_DIR / "secret_key")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random value shared by every "
            "process; only the embedded default (no DATABASE_URL) keeps one in "
            f"{VAR_DIR / 'secret_key'}."
        )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT = env.int("PORT", default=8000)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "drafts",
    "media_uploads",
    "poster",
    "composer",
    "corsheaders",
    "axes",
]

# Admin login: django-axes counts failures per (username, client address) pair and
# locks that pair out for ADMIN_LOGIN_COOLOFF_MINUTES after ADMIN_LOGIN_FAILURE_LIMIT
# failures (429). The pair, not the username alone, so nobody can lock staff out
# from elsewhere. Staff clear a lockout with `manage.py axes_reset`. The address is
# REMOTE_ADDR: behind a proxy, the proxy must pass the client's address through.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(
    minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429

MIDDLEWARE = [
    "config.request_logging.RequestLoggingMiddleware",
    "config.request_limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.api_errors.ApiExceptionMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# The composer page (/compose/) signs people in with Django's login view.
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/compose/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and IMMEDIATE transactions let the web and worker processes share the file
    # without "database is locked" errors under normal load.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # A pooled connection is pinged before a request reuses it, so one that died with
    # a database restart is replaced instead of failing the request (fault drill 1).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side binding sends values apart from the SQL and lets psycopg prepare
    # repeated statements: autosave's CPU per request drops by a fifth. Turn it off
    # behind a pooler in transaction mode (PgBouncer), which breaks prepared ones.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env.bool(
        "DATABASE_SERVER_SIDE_BINDING", default=True
    )
    # A database host that drops packets must not hold a request past a client's
    # timeout: give up connecting after this many seconds and answer 503.
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int(
        "DATABASE_CONNECT_TIMEOUT", default=5
    )
# Retry-After on the 503 answered while the database, the cache or the broker is down.
OUTAGE_RETRY_AFTER_SECONDS = env.int("OUTAGE_RETRY_AFTER_SECONDS", default=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# WhiteNoise serves the admin's static files from gunicorn; finders let it serve them
# before `collectstatic` has run (tests, a fresh checkout).
WHITENOISE_USE_FINDERS = True

# Security headers; `manage.py check --deploy` passes with DEBUG off and HTTPS on.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.PreparedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.PosterThrottle"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

API_THROTTLE_RATES = {
    "user": env.str("THROTTLE_DEFAULT", default="1200/min"),
    "autosave": env.str("THROTTLE_AUTOSAVE", default="240/min"),
    "leases": env.str("THROTTLE_LEASES", default="120/min"),
    "publish": env.str("THROTTLE_PUBLISH", default="30/min"),
}

# API tokens expire this many days after they are issued; empty: never.
API_TOKEN_TTL_DAYS = int(env.str("API_TOKEN_TTL_DAYS", default="90") or 0) or None

# API request bodies past this get 413 request_too_large before anything reads them
# (the local storage upload endpoint has its own, signed limit).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=512 * 1024)

# The cache holds throttle counters; all web processes must share it. The embedded
# default is a file cache under var/cache; production uses redis://.
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

SPECTACULAR_SETTINGS = {
    "TITLE": "poster API",
    "DESCRIPTION": (
        "Drafts that autosave without losing an edit, direct-to-storage media uploads, "
        "image processing and publishing. Authenticate with `Authorization: Token "
        "<key>`. Every error has the shape "
        '`{"error": {"code", "message", "fields"?}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.openapi.add_common_responses_and_headers",
    ],
}

# Celery. The default broker is kombu's filesystem transport: it needs no server and
# works across processes on one machine. Production and CI use redis://.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
elif CELERY_BROKER_URL.startswith("redis"):
    # An unacknowledged message (its worker died) is redelivered after this many
    # seconds. Keep it above the longest task (MEDIA_PROCESS_TIME_LIMIT); never
    # schedule ETA work further ahead than this.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        # Workers look for such messages every interval x throttle seconds.
        "unacked_restore_interval": env.int(
            "CELERY_UNACKED_RESTORE_INTERVAL", default=10
        ),
        "unacked_restore_throttle": env.int(
            "CELERY_UNACKED_RESTORE_THROTTLE", default=10
        ),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {}

# Object storage: `local` keeps files under var/media and serves uploads through poster
# itself; `s3` talks to any S3-compatible endpoint.
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="local")
if STORAGE_BACKEND not in ("local", "s3"):
    raise ImproperlyConfigured("STORAGE_BACKEND must be 'local' or 's3'.")
LOCAL_STORAGE_ROOT = Path(env.str("LOCAL_STORAGE_ROOT", default=str(VAR_DIR / "media")))
S3_ENDPOINT_URL = env.str("S3_ENDPOINT_URL", default="") or None
S3_BUCKET = env.str("S3_BUCKET", default="poster-media")
S3_REGION = env.str("S3_REGION", default="us-east-1")
AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
MEDIA_PUBLIC_BASE_URL = env.str("MEDIA_PUBLIC_BASE_URL", default="")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # One structured line per request comes from poster.request instead.
        "django.request": {"level": "ERROR"},
    },
}

# Drafts
DRAFT_REVISION_INTERVAL = env.int("DRAFT_REVISION_INTERVAL", default=60)
DRAFT_REVISIONS_KEPT = env.int("DRAFT_REVISIONS_KEPT", default=50)
DRAFT_MAX_LIVE_PER_USER = env.int("DRAFT_MAX_LIVE_PER_USER", default=1000)
DRAFT_DELETED_RETENTION_DAYS = env.int("DRAFT_DELETED_RETENTION_DAYS", default=30)
# Deleted drafts kept per user for restore; deleting one more purges the oldest.
DRAFT_MAX_DELETED_PER_USER = env.int("DRAFT_MAX_DELETED_PER_USER", default=100)


# Post guidance: moderators' regular expressions run on RE2 (linear time); these cap
# a pattern's length and the memory RE2 may give one program.
GUIDANCE_REGEX_MAX_LENGTH = env.int("GUIDANCE_REGEX_MAX_LENGTH", default=500)
GUIDANCE_REGEX_MAX_MEMORY_BYTES = env.int(
    "GUIDANCE_REGEX_MAX_MEMORY_BYTES", default=1024 * 1024
)
IDEMPOTENCY_KEY_TTL_SECONDS = env.int("IDEMPOTENCY_KEY_TTL_SECONDS", default=24 * 3600)
# A key still "in progress" after this long belongs to a request that died; another
# request with the same key may take it over.
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=60)
# A response larger than this (as JSON) is remembered as its id and status only.
IDEMPOTENCY_MAX_RESPONSE_BYTES = env.int(
    "IDEMPOTENCY_MAX_RESPONSE_BYTES", default=16 * 1024
)

CELERY_BEAT_SCHEDULE.update(
    {
        "drafts-purge-deleted": {"task": "drafts.purge_deleted", "schedule": 3600.0},
        "idempotency-keys-purge": {
            "task": "core.idempotency_keys_purge",
            "schedule": 3600.0,
        },
    }
)

# Media uploads
MEDIA_ALLOWED_CONTENT_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heic",
    "image/heif",
    "image/avif",
)
MEDIA_MAX_BYTES = env.int("MEDIA_MAX_BYTES", default=20 * 1024 * 1024)
MEDIA_MAX_PENDING = env.int("MEDIA_MAX_PENDING", default=50)
# Bytes a user may lease per UTC day (charged at lease time; failed junk counts).
MEDIA_DAILY_BYTES = env.int("MEDIA_DAILY_BYTES", default=2 * 1024**3)
# Assets of one user queued or processing at once; the rest wait as `uploaded`.
MEDIA_MAX_PROCESSING_PER_USER = env.int("MEDIA_MAX_PROCESSING_PER_USER", default=4)
MEDIA_MAX_PER_DRAFT = env.int("MEDIA_MAX_PER_DRAFT", default=20)
MEDIA_LEASE_SECONDS = env.int("MEDIA_LEASE_SECONDS", default=900)
MEDIA_UNATTACHED_MAX_AGE_SECONDS = env.int(
    "MEDIA_UNATTACHED_MAX_AGE_SECONDS", default=24 * 3600
)
MEDIA_FAILED_MAX_AGE_SECONDS = env.int(
    "MEDIA_FAILED_MAX_AGE_SECONDS", default=48 * 3600
)
# Browser origins allowed to upload straight to the bucket (configure_bucket sets CORS).
MEDIA_UPLOAD_ORIGINS = env.list("MEDIA_UPLOAD_ORIGINS", default=["*"])
CELERY_BEAT_SCHEDULE.update(
    {
        "media-cleanup": {"task": "media_uploads.cleanup", "schedule": 300.0},
        "media-stored-object-deletions": {
            "task": "media_uploads.delete_stored_objects",
            "schedule": 600.0,
        },
    }
)
CELERY_TASK_ROUTES = {"media_uploads.process_image": {"queue": "media"}}

# Image processing
MEDIA_MAX_PIXELS = env.int("MEDIA_MAX_PIXELS", default=50_000_000)
MEDIA_MAX_FRAMES = env.int("MEDIA_MAX_FRAMES", default=300)
MEDIA_MAX_ANIMATION_PIXELS = env.int("MEDIA_MAX_ANIMATION_PIXELS", default=500_000_000)
# Media still uploaded/processing this long lost its task (Redis lost the queue, a
# worker died): the sweep, every MEDIA_SWEEP_INTERVAL_SECONDS, enqueues it again. Keep
# it above MEDIA_PROCESS_TIME_LIMIT, so that a claim this old is certainly dead. An
# asset settles within STUCK + INTERVAL + one processing run of its loss (README).
MEDIA_STUCK_SECONDS = env.int("MEDIA_STUCK_SECONDS", default=90)
MEDIA_SWEEP_INTERVAL_SECONDS = env.float("MEDIA_SWEEP_INTERVAL_SECONDS", default=15.0)
# Transient storage errors are retried this often; a claim past retries + 1 attempts
# (worker crashes included) fails the asset for good.
MEDIA_PROCESS_MAX_RETRIES = env.int("MEDIA_PROCESS_MAX_RETRIES", default=5)
MEDIA_RETRY_BASE_SECONDS = env.float("MEDIA_RETRY_BASE_SECONDS", default=5.0)
MEDIA_PROCESS_SOFT_TIME_LIMIT = env.int("MEDIA_PROCESS_SOFT_TIME_LIMIT", default=60)
MEDIA_PROCESS_TIME_LIMIT = env.int("MEDIA_PROCESS_TIME_LIMIT", default=75)
# Derivative URLs outlive a take-down in caches for at most this long (no
# `immutable`: a removed post's images must not stay cached for a year).
MEDIA_CACHE_MAX_AGE_SECONDS = env.int("MEDIA_CACHE_MAX_AGE_SECONDS", default=3600)
MEDIA_CACHE_CONTROL = f"public, max-age={MEDIA_CACHE_MAX_AGE_SECONDS}"
# CloudFront distribution in front of MEDIA_PUBLIC_BASE_URL: a take-down invalidates
# the derivatives' paths there. Empty: no CDN to purge.
CDN_DISTRIBUTION_ID = env.str("CDN_DISTRIBUTION_ID", default="")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# KiB: a worker child that grew past this is replaced after its current task.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=400_000
)
CELERY_TASK_ANNOTATIONS = {
    "media_uploads.process_image": {
        "soft_time_limit": MEDIA_PROCESS_SOFT_TIME_LIMIT,
        "time_limit": MEDIA_PROCESS_TIME_LIMIT,
    }
}
CELERY_BEAT_SCHEDULE["media-sweep-stuck"] = {
    "task": "media_uploads.sweep_stuck",
    "schedule": MEDIA_SWEEP_INTERVAL_SECONDS,
}
CELERY_BEAT_SCHEDULE["posts-publish-due"] = {
    "task": "poster.publish_due",
    "schedule": 15.0,
}

# The live event stream (GET /api/v1/events/, served by the ASGI process: config/asgi).
# Replay by Last-Event-ID reaches back this far; the outbox keeps events this long.
EVENTS_REPLAY_SECONDS = env.int("EVENTS_REPLAY_SECONDS", default=600)
# Redis wakes the stream processes the moment events commit; without it (the embedded
# default) they poll the outbox table. Default: the Celery broker when it is Redis.
EVENTS_REDIS_URL = env.str(
    "EVENTS_REDIS_URL",
    default=CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "",
)
# How often a stream process reads the outbox without being woken: the delivery
# delay without Redis, and the catch-up for a lost wake-up with it.
EVENTS_POLL_SECONDS = env.float(
    "EVENTS_POLL_SECONDS", default=2.0 if EVENTS_REDIS_URL else 0.2
)
EVENTS_HEARTBEAT_SECONDS = env.float("EVENTS_HEARTBEAT_SECONDS", default=15.0)
EVENTS_RETRY_MILLISECONDS = env.int("EVENTS_RETRY_MILLISECONDS", default=3000)
EVENTS_MAX_STREAMS_PER_USER = env.int("EVENTS_MAX_STREAMS_PER_USER", default=10)
# Where clients open the stream (GET /api/v1/me/ answers it). Empty: the API's own
# origin, for a proxy that sends /api/v1/events/ to the ASGI process. make run sets it
# to the events process's port.
EVENTS_URL = env.str("EVENTS_URL", default="")
# Web pages on these origins may open the stream from another origin (EVENTS_URL on
# its own port) with their session cookie: CORS with credentials, for this one path.
EVENTS_ALLOWED_ORIGINS = env.list(
    "EVENTS_ALLOWED_ORIGINS",
    default=[
        *CSRF_TRUSTED_ORIGINS,
        f"http://127.0.0.1:{PORT}",
        f"http://localhost:{PORT}",
    ],
)
CORS_URLS_REGEX = r"^/api/v1/events/$"
CORS_ALLOWED_ORIGINS = EVENTS_ALLOWED_ORIGINS
CORS_ALLOW_CREDENTIALS = True
CORS_ALLOW_METHODS = ["GET", "OPTIONS"]
CORS_ALLOW_HEADERS = ["accept", "authorization", "cache-control", "last-event-id"]
CELERY_BEAT_SCHEDULE["events-purge"] = {"task": "core.events_purge", "schedule": 300.0}
