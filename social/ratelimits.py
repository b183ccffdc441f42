"""Counting actions against limits on the Django cache, with django-ratelimit's core.

The cache is Redis when REDIS_URL is set, so a limit holds across every server
process. Keys are hashed by django-ratelimit, so logins and addresses are not
stored in the cache as they are.
"""

import contextlib
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django_ratelimit.core import get_usage

from social import cache_outage

logger = logging.getLogger(__name__)


# The cache is down: the request is served unlimited rather than failed.
_NOT_CHECKED = "Rate limit %s not checked: the cache is unreachable"


def _usage(*, scope: str, key: str, rate: str, increment: bool) -> dict[str, Any] | None:
    return cache_outage.attempt(
        lambda: get_usage(
            None, group=scope, key=lambda _group, _request: key, rate=rate, increment=increment
        ),
        fallback=None,
        log=logger,
        failure=_NOT_CHECKED,
        args=(scope,),
    )


def limit_hit(*, scope: str, key: str, rate: str) -> bool:
    """Counts one action of `key`; True when that action goes over `rate` (e.g. "60/m")."""
    usage = _usage(scope=scope, key=key, rate=rate, increment=True)
    return bool(usage and usage["should_limit"])


# Attempts counted before they are judged: "count, then check" in one atomic step.
_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Attempt:
    """One attempt counted against a limit; `cache_key` is None when nothing was counted."""

    allowed: bool
    cache_key: str | None = None


def _limit_and_period(rate: str) -> tuple[int, int]:
    match = _RATE.match(rate.strip())
    if match is None:
        raise ValueError(f"A rate is written count/period, e.g. 5/15m: {rate!r}")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _UNIT_SECONDS[unit]


def attempt_count(*, scope: str, key: str, rate: str) -> Attempt:
    """Counts one attempt of `key` and says whether it is within `rate`, in one atomic step.

    Checking first and counting after a failure lets concurrent attempts all pass the
    check before any is counted; the cache's atomic increment (Redis INCR, or the local
    cache's lock) gives each attempt its own number instead.
    """
    if not settings.RATELIMIT_ENABLE:
        return Attempt(allowed=True)
    limit, period = _limit_and_period(rate)
    window = int(time.time() // period)
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()
    cache_key = f"attempts:{scope}:{digest}:{window}"
    number = cache_outage.attempt(
        lambda: _counted(cache_key, period),
        fallback=None,
        log=logger,
        failure=_NOT_CHECKED,
        args=(scope,),
    )
    if number is None:
        return Attempt(allowed=True)
    return Attempt(allowed=number <= limit, cache_key=cache_key)


def _counted(cache_key: str, period: int) -> int:
    cache.add(cache_key, 0, timeout=period + 1)
    return int(cache.incr(cache_key))


def attempt_refund(attempt: Attempt) -> None:
    """Gives back an attempt that turned out not to count (a successful login)."""
    cache_key = attempt.cache_key
    if cache_key is not None:
        cache_outage.attempt(
            lambda: _given_back(cache_key),
            fallback=None,
            log=logger,
            failure="Rate limit attempt not refunded: the cache is unreachable",
        )


def _given_back(cache_key: str) -> None:
    with contextlib.suppress(ValueError):  # the window ended meanwhile: nothing to give back
        cache.decr(cache_key)
