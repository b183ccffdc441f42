"""Test override: the same settings, with fast password hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789")

from config.settings import *  # noqa: F403
from config.settings import PASSWORD_HASHERS as PRODUCTION_PASSWORD_HASHERS

# Argon2 is deliberately slow; tests that check hashing read PRODUCTION_PASSWORD_HASHERS.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_PASSWORD_HASHERS]

# Uploads land in a directory of this test run, never in the project's media/.
import tempfile  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="social-media-test-"))  # noqa: F405
if MEDIA_STORAGE == "filesystem":  # noqa: F405
    STORAGES["media"]["OPTIONS"]["location"] = MEDIA_ROOT  # type: ignore[index]  # noqa: F405
