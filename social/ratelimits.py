"""Counting actions against limits on the Django cache, with django-ratelimit's core.

The cache is Redis when REDIS_URL is set, so a limit holds across every server
process. Keys are hashed by django-ratelimit, so logins and addresses are not
stored in the cache as they are.
"""

import logging
from typing import Any

from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def _usage(*, scope: str, key: str, rate: str, increment: bool) -> dict[str, Any] | None:
    try:
        return get_usage(  # type: ignore[no-any-return]
            None, group=scope, key=lambda _group, _request: key, rate=rate, increment=increment
        )
    except Exception:
        # The cache is down: serve the request unlimited rather than fail it.
        logger.warning("Rate limit %s not checked: the cache is unreachable", scope, exc_info=True)
        return None


def limit_hit(*, scope: str, key: str, rate: str) -> bool:
    """Counts one action of `key`; True when that action goes over `rate` (e.g. "60/m")."""
    usage = _usage(scope=scope, key=key, rate=rate, increment=True)
    return bool(usage and usage["should_limit"])


def limit_reached(*, scope: str, key: str, rate: str) -> bool:
    """True when `key` has already used all of `rate` in this window (counts nothing)."""
    usage = _usage(scope=scope, key=key, rate=rate, increment=False)
    return bool(usage and usage["count"] >= usage["limit"])
