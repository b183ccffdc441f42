"""Which sessions are signed out, held in each process so no request asks the database.

An access token names its session (`sid`). A session revoked anywhere is published on the
events channel (notifications/events.py) and every process's broker adds it here; the
process that revoked it adds it at once, before the message comes back. A process that
starts (or whose Redis subscription was cut) reads the revocations of the last
ACCESS_TOKEN_TTL from the database, since only that long can a revoked session still have
an unexpired access token; entries are forgotten after that, so the set stays small.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)

# Clocks of the process that signed a token and of this one differ a little.
CLOCK_LEEWAY = timedelta(seconds=60)

# session key (str) -> when this process may forget it (epoch seconds)
_revoked: dict[str, float] = {}
_lock = threading.Lock()
_loaded = False
_next_prune = 0.0

# Called (on the event loop) with the revoked keys and, when a user was signed out
# everywhere, their id: realtime/transport.py closes the matching sockets.
Listener = Callable[[list[str], int | None], None]
listeners: list[Listener] = []


def _keep_for() -> float:
    return float((settings.ACCESS_TOKEN_TTL + CLOCK_LEEWAY).total_seconds())


def remember(keys: Iterable[str], *, revoked_at: float | None = None) -> None:
    """Marks `keys` revoked in this process (any thread)."""
    global _next_prune
    until = (revoked_at or time.time()) + _keep_for()
    now = time.time()
    with _lock:
        for key in keys:
            _revoked[str(key)] = max(until, _revoked.get(str(key), 0.0))
        if now >= _next_prune:
            for key in [k for k, t in _revoked.items() if t < now]:
                del _revoked[key]
            _next_prune = now + 60


def is_revoked(key: str) -> bool:
    """Whether session `key` is signed out. The first call of a process reads the database."""
    if not _loaded:
        load_recent()
    return key in _revoked


def is_loaded() -> bool:
    return _loaded


def load_recent() -> list[str]:
    """Reads the revocations that may still have live access tokens (sync: a thread);
    returns their keys."""
    global _loaded
    from social.models import SessionRevocation

    since = timezone.now() - settings.ACCESS_TOKEN_TTL - CLOCK_LEEWAY
    rows = list(
        SessionRevocation.objects.filter(revoked_at__gte=since).values_list("key", "revoked_at")
    )
    with _lock:
        for key, revoked_at in rows:
            until = revoked_at.timestamp() + _keep_for()
            _revoked[str(key)] = max(until, _revoked.get(str(key), 0.0))
        _loaded = True
    return [str(key) for key, _ in rows]


def announce(keys: list[str], user_id: int | None) -> None:
    """A revocation message arrived (on the event loop): remember it and tell listeners."""
    remember(keys)
    for listener in list(listeners):
        try:
            listener(keys, user_id)
        except Exception:
            logger.exception("a revocation listener failed")


def forget_all() -> None:
    """Tests: a fresh process's state (the next check reads the database again)."""
    global _loaded, _next_prune
    with _lock:
        _revoked.clear()
        _loaded = False
        _next_prune = 0.0


def size() -> int:
    return len(_revoked)
