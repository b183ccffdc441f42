"""Test override: the same settings, with fast password hashing."""

import os
from urllib.parse import urlsplit, urlunsplit

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789")


def _worker_redis(url: str, worker: int) -> str:
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(database + worker) % 16}"))


# `make test` runs in pytest-xdist workers (gw0, gw1...): each gets its own Redis database and
# events channel, so one worker's cache.clear() or events never reach another's tests.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and _worker[2:].isdigit():
    _index = int(_worker[2:])
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = _worker_redis(os.environ["REDIS_URL"], _index)
    else:  # tests that need a Redis take tests/services.py's (db 15 by default)
        _test_redis = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
        os.environ["TEST_REDIS_URL"] = _worker_redis(_test_redis, -_index)
    os.environ["EVENTS_CHANNEL"] = f"{os.environ.get('EVENTS_CHANNEL', 'social:events')}:{_worker}"

from config.settings import *  # noqa: E402, F403
from config.settings import PASSWORD_HASHERS as PRODUCTION_PASSWORD_HASHERS  # noqa: E402

# Argon2 is deliberately slow; tests that check hashing read PRODUCTION_PASSWORD_HASHERS.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_PASSWORD_HASHERS]

# Uploads land in a directory of this test run, never in the project's media/.
import tempfile  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="social-media-test-"))  # noqa: F405
if MEDIA_STORAGE == "filesystem":  # noqa: F405
    STORAGES["media"]["OPTIONS"]["location"] = MEDIA_ROOT  # type: ignore[index]  # noqa: F405
