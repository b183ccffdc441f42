"""Settings, read from the environment (12-factor) with django-environ.

Unset DATABASE_URL / REDIS_URL give the embedded default: an SQLite file in the
project and in-process cache and events, so a newcomer needs nothing
but Python.
"""

import importlib.util
import warnings
from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as cors_default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG: bool = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"  # noqa: S105 (DEBUG only)
SECRET_KEY: str = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Browser origins allowed over HTTP and WebSocket alike (graph/origins.py): the server's
# own, CORS_ALLOWED_ORIGINS, and with CORS_ALLOW_LOCALHOST any http(s)://localhost:<port>
# or 127.0.0.1:<port> page, so a frontend dev server needs no configuration.
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_LOCALHOST: bool = env.bool("CORS_ALLOW_LOCALHOST", default=DEBUG)
CORS_ALLOW_CREDENTIALS = True
# The request headers a page may send: django-cors-headers' own, and the ones Apollo Client
# adds when an app names itself (`clientAwareness`), which a preflight would refuse otherwise.
CORS_ALLOW_HEADERS = (
    *cors_default_headers,
    "apollographql-client-name",
    "apollographql-client-version",
    "apollographql-library-name",
    "apollographql-library-version",
)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    # Before django.contrib.auth: its `changepassword` command replaces auth's (it signs
    # the user out everywhere).
    "social",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Registers OpClass for the user-search trigram indexes; inert on SQLite.
    "django.contrib.postgres",
    "corsheaders",
    "channels",
    "strawberry_django",
    "notifications",
    "graph",
    "observability",
]

MIDDLEWARE = [
    # First: request id, the JSON request line, and /healthz, /readyz before the host check.
    "observability.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "observability.middleware.StaticFilesMiddleware",  # WhiteNoise, async-capable
    "graph.origins.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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

# Database: PostgreSQL from DATABASE_URL, or an SQLite file in the project.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Under ASGI, ORM work reached through sync_to_async (the WebSocket side) runs in a fresh
# context each time, so a persistent connection (CONN_MAX_AGE > 0) is never reused there:
# they pile up until PostgreSQL refuses clients (Django's docs: disable them under ASGI).
# Reuse comes from psycopg 3's pool.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
# Read before the engine may become config.postgresql (Django's, with a recovering pool).
ON_POSTGRESQL: bool = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Connections per server process in psycopg 3's pool; 0 opens one per request instead.
DB_POOL_SIZE: int = env.int("DB_POOL_SIZE", default=8)
if ON_POSTGRESQL and DB_POOL_SIZE > 0 and importlib.util.find_spec("psycopg_pool") is not None:
    # The pool and persistent connections exclude each other.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Django's backend with a pool that recovers at once from a database restart.
    DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_SIZE,
        # A request waits this long for a free connection before failing.
        "timeout": env.float("DB_POOL_TIMEOUT", default=10.0),
    }
# Threads of a server process that run HTTP requests (config/asgi_http.py); each holds at
# most one database connection while it serves a request.
HTTP_THREADS: int = env.int("HTTP_THREADS", default=8)
# A connection broken by a PostgreSQL restart is replaced on the next request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# While the database is down, a request makes one connection attempt of at most this many
# seconds, then fails with SERVICE_UNAVAILABLE (config/postgresql/base.py).
DB_UNAVAILABLE_PROBE_TIMEOUT: int = env.int("DB_UNAVAILABLE_PROBE_TIMEOUT", default=2)
# WAL and a busy timeout let the server and a second process share the file. A transaction
# that reads, then writes cannot wait for the lock once it has read ("database is locked" at
# once): IMMEDIATE takes the write lock at BEGIN, waiting up to the timeout.
SQLITE_OPTIONS = {
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL;",
    "transaction_mode": "IMMEDIATE",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when configured, backs the cache (rate limits across processes); events cross
# processes through realtime/broker.py's own Redis channel, not a Channels layer.
REDIS_URL: str = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="social"),
            # A Redis that stops answering fails a call in a second (then social/cache_outage
            # skips it for a while) instead of holding a request thread until TCP gives up.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "social.User"
# Django's model backend that also refuses suspended accounts (admin and cookie sessions).
AUTHENTICATION_BACKENDS = ["social.backends.SocialModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Tokens: a short-lived signed access token and a long-lived single-use refresh token.
ACCESS_TOKEN_TTL: timedelta = timedelta(seconds=env.int("ACCESS_TOKEN_TTL", default=15 * 60))
REFRESH_TOKEN_TTL: timedelta = timedelta(
    seconds=env.int("REFRESH_TOKEN_TTL", default=30 * 24 * 3600)
)

# Email (account lifecycle): django-environ's email URL, e.g. smtp+tls://user:pass@host:587.
# Sent after commit, in the background. With DEBUG the default prints mails to the terminal;
# without it, an unset EMAIL_URL sends nothing (each mail logged and counted as failed), since
# printed mails, which hold tokens, would land in the production logs.
_email_url: str = env.str("EMAIL_URL", default="") or ("consolemail://" if DEBUG else "")
if _email_url:
    vars().update(environ.Env.email_url_config(_email_url))
else:
    EMAIL_BACKEND = "social.mail.UnconfiguredEmailBackend"
EMAIL_TIMEOUT: int = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL: str = env.str("DEFAULT_FROM_EMAIL", default="Social <no-reply@localhost>")
# The web app that opens the links in mails ({FRONTEND_URL}/reset-password?token=...).
FRONTEND_URL: str = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")
PASSWORD_RESET_TIMEOUT: int = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
EMAIL_VERIFICATION_TIMEOUT: int = env.int("EMAIL_VERIFICATION_TIMEOUT", default=3 * 24 * 3600)
RATELIMIT_PASSWORD_RESET_PER_ADDRESS: str = env.str(
    "RATELIMIT_PASSWORD_RESET_PER_ADDRESS", default="10/h"
)
RATELIMIT_PASSWORD_RESET_PER_EMAIL: str = env.str(
    "RATELIMIT_PASSWORD_RESET_PER_EMAIL", default="3/h"
)
# Verification mails to one address (requestEmailVerification, changeEmail), any account.
RATELIMIT_VERIFICATION_EMAILS: str = env.str("RATELIMIT_VERIFICATION_EMAILS", default="3/h")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves static files (GraphiQL's, the admin's) from the apps' static/
# folders too, so development needs no collectstatic; production runs it once.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
if not STATIC_ROOT.is_dir():
    # Expected before the first collectstatic: the finders serve the files meanwhile.
    warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)

# Media uploads (social/media/, docs/operations.md "Media storage").
MEDIA_UPLOADS_ENABLED: bool = env.bool("MEDIA_UPLOADS_ENABLED", default=True)
# One file's bytes; a multipart body may be this plus MEDIA_MULTIPART_OVERHEAD, and is cut
# off with HTTP 413 while it is read (config/asgi_http.py).
MEDIA_MAX_BYTES: int = env.int("MEDIA_MAX_BYTES", default=10 * 1024 * 1024)
MEDIA_MULTIPART_OVERHEAD: int = 64 * 1024
# Decoded pixels (width x height): a tiny file can claim a huge image (a decompression bomb).
MEDIA_MAX_PIXELS: int = env.int("MEDIA_MAX_PIXELS", default=40_000_000)
# Images decoded at once per process; an upload waits at most MEDIA_PROCESSING_WAIT
# seconds for its turn, then is refused, so uploads cannot hold every request thread.
MEDIA_PROCESSING_CONCURRENCY: int = env.int("MEDIA_PROCESSING_CONCURRENCY", default=2)
MEDIA_PROCESSING_WAIT: float = env.float("MEDIA_PROCESSING_WAIT", default=10.0)
MEDIA_QUOTA_BYTES: int = env.int("MEDIA_QUOTA_BYTES", default=200 * 1024 * 1024)
RATELIMIT_UPLOADS: str = env.str("RATELIMIT_UPLOADS", default="60/h")
# Uploads left unattached longer than this are removed by `manage.py purge_media`.
MEDIA_UNATTACHED_HOURS: int = env.int("MEDIA_UNATTACHED_HOURS", default=24)
# Where files go: "filesystem" (MEDIA_ROOT, served by the app at MEDIA_URL) or "s3" (any
# S3-compatible service through django-storages).
MEDIA_STORAGE: str = env.str("MEDIA_STORAGE", default="filesystem")
MEDIA_ROOT: Path = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL: str = env.str("MEDIA_URL", default="/media/")
# Prefix for relative media URLs (the filesystem's), e.g. https://api.example.com; when
# empty, the URL of the request that reads them supplies scheme and host.
MEDIA_BASE_URL: str = env.str("MEDIA_BASE_URL", default="")
if MEDIA_STORAGE == "s3":
    _media_storage: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("MEDIA_S3_BUCKET"),
            "endpoint_url": env.str("MEDIA_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("MEDIA_S3_REGION", default="") or None,
            "access_key": env.str("MEDIA_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("MEDIA_S3_SECRET_ACCESS_KEY", default="") or None,
            # A public base URL (a CDN or a public bucket) gives plain URLs; without one,
            # each URL is signed and expires after MEDIA_S3_URL_EXPIRY seconds.
            "custom_domain": env.str("MEDIA_S3_PUBLIC_DOMAIN", default="") or None,
            "url_protocol": env.str("MEDIA_S3_PUBLIC_PROTOCOL", default="https:"),
            "querystring_auth": not env.str("MEDIA_S3_PUBLIC_DOMAIN", default=""),
            "querystring_expire": env.int("MEDIA_S3_URL_EXPIRY", default=3600),
            # e.g. public-read for a public bucket; unset: the bucket's own policy decides.
            "default_acl": env.str("MEDIA_S3_ACL", default="") or None,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
elif MEDIA_STORAGE == "filesystem":
    _media_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
else:
    raise ImproperlyConfigured(f"MEDIA_STORAGE is filesystem or s3, not {MEDIA_STORAGE!r}.")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "media": _media_storage,
}

# GraphQL limits: the largest JSON body /graphql accepts.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("GRAPHQL_MAX_BODY_BYTES", default=1024 * 1024)

# Security (docs/security.md lists each limit, its default and its variable).
# Query limits, checked before execution (graph/security/limits.py).
GRAPHQL_MAX_DEPTH: int = env.int("GRAPHQL_MAX_DEPTH", default=12)
GRAPHQL_MAX_TOKENS: int = env.int("GRAPHQL_MAX_TOKENS", default=5000)
GRAPHQL_MAX_ALIASES: int = env.int("GRAPHQL_MAX_ALIASES", default=30)
GRAPHQL_MAX_NODES: int = env.int("GRAPHQL_MAX_NODES", default=50_000)
GRAPHQL_INTROSPECTION: bool = env.bool("GRAPHQL_INTROSPECTION", default=True)
# Persisted documents (graph/persisted.py): Apollo's automatic persisted queries, kept in
# a per-process LRU bounded in documents and characters; a trusted-documents manifest
# (JSON object id -> document); with GRAPHQL_TRUSTED_ONLY nothing outside it runs.
GRAPHQL_APQ: bool = env.bool("GRAPHQL_APQ", default=True)
GRAPHQL_APQ_CACHE_SIZE: int = env.int("GRAPHQL_APQ_CACHE_SIZE", default=1000)
GRAPHQL_APQ_CACHE_BYTES: int = env.int("GRAPHQL_APQ_CACHE_BYTES", default=4 * 1024 * 1024)
GRAPHQL_TRUSTED_DOCUMENTS: str = env.str("GRAPHQL_TRUSTED_DOCUMENTS", default="")
GRAPHQL_TRUSTED_ONLY: bool = env.bool("GRAPHQL_TRUSTED_ONLY", default=False)
# Queries over GET without credentials: how long a CDN may keep the answer (0: never).
GRAPHQL_GET_CACHE_SECONDS: int = env.int("GRAPHQL_GET_CACHE_SECONDS", default=10)
# Compiled execution (graph/compiled/): on PostgreSQL, each root field the compiler knows
# runs as one SQL statement that writes its JSON; SQLite always uses the normal executor.
GRAPHQL_COMPILED: bool = env.bool("GRAPHQL_COMPILED", default=ON_POSTGRESQL)
# Compiled statements kept (per document, root field and shape), least recently used out.
GRAPHQL_COMPILED_CACHE_SIZE: int = env.int("GRAPHQL_COMPILED_CACHE_SIZE", default=1000)
# Directives at any one place of a document (a field, a fragment, ...): past it, refused
# before any rule looks at them (graph/security/directives.py).
GRAPHQL_MAX_DIRECTIVES_PER_LOCATION: int = env.int("GRAPHQL_MAX_DIRECTIVES_PER_LOCATION", default=5)
# Per-process caches whose keys clients choose, each an LRU of at most this many entries
# (social/caches.py; docs/security.md "Client-keyed caches").
# Parsed documents, validation verdicts, node-rule classes, selection paths.
GRAPHQL_DOCUMENT_CACHE_SIZE: int = env.int("GRAPHQL_DOCUMENT_CACHE_SIZE", default=256)
# What the parsed documents and their verdicts may weigh together (graph/security/documents.py).
GRAPHQL_DOCUMENT_CACHE_BYTES: int = env.int(
    "GRAPHQL_DOCUMENT_CACHE_BYTES", default=64 * 1024 * 1024
)
# Statements of the read model's list reads (social/reads/), one per selection shape.
PREPARED_SQL_CACHE_SIZE: int = env.int("PREPARED_SQL_CACHE_SIZE", default=512)
# Access tokens whose signature was checked, until their expiry.
ACCESS_TOKEN_CACHE_SIZE: int = env.int("ACCESS_TOKEN_CACHE_SIZE", default=10_000)
# Request paths whose view is known to be sync or async (config/asgi_http.py).
HTTP_VIEW_CACHE_SIZE: int = env.int("HTTP_VIEW_CACHE_SIZE", default=256)
# Distinct operation names labelled in /metrics; later names count as "other".
METRICS_MAX_OPERATION_NAMES: int = env.int("METRICS_MAX_OPERATION_NAMES", default=500)
# Rate limits ("count/period", period s, m, h or d, e.g. "5/15m") on the cache.
RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT: str = env.str(
    "RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT", default="5/15m"
)
RATELIMIT_LOGIN_FAILURES_PER_ADDRESS: str = env.str(
    "RATELIMIT_LOGIN_FAILURES_PER_ADDRESS", default="20/15m"
)
RATELIMIT_REGISTRATIONS: str = env.str("RATELIMIT_REGISTRATIONS", default="10/h")
RATELIMIT_WRITES: str = env.str("RATELIMIT_WRITES", default="60/m")
RATELIMIT_REPORTS: str = env.str("RATELIMIT_REPORTS", default="20/h")
RATELIMIT_ENABLE: bool = env.bool("RATELIMIT_ENABLE", default=True)
# A cache outage lets requests through (and is logged) rather than failing them.
RATELIMIT_FAIL_OPEN = True
# Behind a reverse proxy, the client address is its X-Forwarded-For hop.
TRUSTED_PROXY: bool = env.bool("TRUSTED_PROXY", default=False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# TLS deployments: secure cookies, HSTS and the HTTPS redirect.
HTTPS: bool = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT: bool = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_HSTS_SECONDS: int = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS: bool = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD: bool = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# WebSocket (realtime/transport.py) and live events (realtime/broker.py).
WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: int = env.int(
    "WS_MAX_SUBSCRIPTIONS_PER_CONNECTION", default=20
)
WS_MAX_CONNECTIONS_PER_USER: int = env.int("WS_MAX_CONNECTIONS_PER_USER", default=10)
WS_CONNECTION_INIT_TIMEOUT: float = env.float("WS_CONNECTION_INIT_TIMEOUT", default=10.0)
# Seconds between server pings on an idle socket; 0 turns them off.
WS_KEEPALIVE_INTERVAL: float = env.float("WS_KEEPALIVE_INTERVAL", default=25.0)
WS_MAX_MESSAGE_BYTES: int = env.int("WS_MAX_MESSAGE_BYTES", default=64 * 1024)
# Subscriptions over HTTP (graph/http_streams.py): seconds between heartbeats on an idle
# stream, and how long one write may wait for a client that stopped reading before the
# stream is dropped (its buffer never grows past one write).
HTTP_STREAM_KEEPALIVE_INTERVAL: float = env.float("HTTP_STREAM_KEEPALIVE_INTERVAL", default=15.0)
HTTP_STREAM_SEND_TIMEOUT: float = env.float("HTTP_STREAM_SEND_TIMEOUT", default=30.0)
# The Redis pub/sub channel carrying every event; pub/sub ignores database numbers,
# so deployments (or test runs) sharing one Redis each need their own.
EVENTS_CHANNEL: str = env.str("EVENTS_CHANNEL", default="social:events")

# Garbage collection of a server process (realtime/memory.py): every
# GC_FREEZE_INTERVAL seconds what is alive is frozen out of automatic collections, and
# every GC_FULL_COLLECTION_INTERVAL seconds one full collection examines everything.
# GC_FREEZE_INTERVAL=0 leaves collections to CPython (after the startup freeze).
GC_FREEZE_INTERVAL: float = env.float("GC_FREEZE_INTERVAL", default=10.0)
GC_FULL_COLLECTION_INTERVAL: float = env.float("GC_FULL_COLLECTION_INTERVAL", default=600.0)
# New objects between two collections of the youngest generation (CPython: 700).
GC_YOUNG_THRESHOLD: int = env.int("GC_YOUNG_THRESHOLD", default=10_000)

# Bench-only hand-written views under /bench/ (bench/views.py), for `make bench`.
BENCH_VIEWS: bool = env.bool("BENCH_VIEWS", default=False)

LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
# "json": one JSON object per line (observability/logging.py); "plain" for reading by eye.
LOG_FORMAT: str = env.str("LOG_FORMAT", default="json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if LOG_FORMAT == "plain" else "json",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Strawberry logs every resolver error with a traceback; ours are logged once by graph.
        "strawberry.execution": {"level": "CRITICAL"},
        # RequestLogMiddleware writes one line per request, with its id; this one has neither.
        "django.request": {"level": "ERROR"},
    },
}

# Follow -> unfollow -> follow, or like -> unlike -> like, within this many seconds notifies once.
NOTIFICATION_REPEAT_WINDOW: int = env.int("NOTIFICATION_REPEAT_WINDOW", default=86_400)

# /metrics: closed unless DEBUG is on or one of these is set: the addresses (CIDRs) that may
# read it (the client address as the rate limits see it, TRUSTED_PROXY included), a bearer token.
METRICS_ALLOWED_IPS: list[str] = env.list("METRICS_ALLOWED_IPS", default=[])
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
