"""The cache (Redis) is best-effort for its callers (rate limits, withdrawn likes): after it
fails, they skip it for a few seconds instead of each waiting out the client's timeout, so a
Redis that stops answering does not hold every request thread of the process."""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# How long the cache goes unasked after a failure; then one request tries it again.
RETRY_AFTER_SECONDS = 5.0

_lock = threading.Lock()
_down_until = 0.0


def available() -> bool:
    """False while a recent failure says the cache is down (callers go on without it)."""
    return time.monotonic() >= _down_until


def failed() -> None:
    """The cache just failed (any thread)."""
    global _down_until
    with _lock:
        _down_until = time.monotonic() + RETRY_AFTER_SECONDS


def attempt(
    operation: Callable[[], T],
    *,
    fallback: T,
    log: logging.Logger,
    failure: str,
    args: tuple[Any, ...] = (),
) -> T:
    """`operation()` on the cache; `fallback` while a recent failure says it is down, or when
    it fails now: then the failure is logged (`failure` % `args`) and the cache is left alone
    for RETRY_AFTER_SECONDS."""
    if not available():
        return fallback
    try:
        return operation()
    except Exception:
        failed()
        log.warning(failure, *args, exc_info=True)
        return fallback


def reset() -> None:
    """Tests: the cache is presumed up again."""
    global _down_until
    with _lock:
        _down_until = 0.0
