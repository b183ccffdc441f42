"""The process's event broker: one Redis subscription to one channel, fanned out in memory.

Each message reaches realtime.delivery with the local subscriptions of the users it names:
one Redis message per event per process, whatever the number of sockets. Without REDIS_URL
(the embedded default) events stay in the process. When Redis drops, the broker reconnects
with backoff, then tells every subscription to resynchronise (read again what it missed);
sign-outs are read from the database meanwhile and then, and their sockets closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio
from django.conf import settings
from django.db import connections

from observability.metrics import SUBSCRIPTIONS_ACTIVE
from social import revocations

logger = logging.getLogger(__name__)

# How long a new subscription waits for the Redis subscription before it reads
# its backlog anyway (it is resynchronised when Redis comes back).
READY_TIMEOUT = 2.0
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 5.0
# The kind of message that signs sessions out (notifications.events publishes it).
SESSIONS_REVOKED = "sessions_revoked"


def channel_name() -> str:
    # Every event of every process travels on this one Redis channel. Pub/sub
    # ignores Redis database numbers, so deployments sharing a Redis set their own.
    return str(getattr(settings, "EVENTS_CHANNEL", "") or "social:events")


@dataclass(eq=False, slots=True)
class Event:
    """One published event as this process hands it to its subscriptions: one object for
    all of them, so that what they load (`shared`) is loaded once."""

    kind: str
    id: int  # the notification's or the post's
    local_users: list[int]  # this process's recipients
    committed_at: float | None = None
    shared: dict[str, Any] = field(default_factory=dict)


# Events may have been lost (Redis was down): subscriptions that can, read again.
RESYNC = Event("resync", 0, [])


class Broker:
    """Local subscriptions by user id; `deliver(event, listeners)` (the runtime's
    Deliveries.deliver) gets each event with those it concerns, on the event loop."""

    def __init__(
        self, redis_url: str, loop: asyncio.AbstractEventLoop, deliver: Callable[..., None]
    ) -> None:
        self.redis_url = redis_url
        self.loop = loop
        self.deliver = deliver
        self.channel = channel_name()
        # A list per user (two or three records): smaller than a set.
        self.subscriptions: dict[int, list[Any]] = defaultdict(list)
        self.ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pubsub: Any = None
        self._closing = False
        self._reloading: asyncio.Task[None] | None = None
        if not redis_url:
            self.ready.set()

    def start(self) -> None:
        """Listens from now on, with or without subscriptions: revocations must reach every
        process, including one that only serves HTTP (Runtime.start calls it)."""
        if self.redis_url and self._task is None:
            self._task = self.loop.create_task(self._listen(), name="event-broker")

    async def register(self, listener: Any) -> None:
        """Registers a subscription, before it reads anything (an event committed meanwhile
        is buffered, not lost), and waits briefly for Redis to be subscribed."""
        self.subscriptions[listener.user_id].append(listener)
        SUBSCRIPTIONS_ACTIVE.inc()
        try:
            self.start()
            if not self.ready.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.ready.wait(), READY_TIMEOUT)
        except BaseException:
            self.remove(listener)
            raise

    def remove(self, listener: Any) -> None:
        # Only this subscription goes: siblings on the same socket keep running.
        subscribers = self.subscriptions.get(listener.user_id)
        if subscribers is not None and listener in subscribers:
            subscribers.remove(listener)
            if not subscribers:
                del self.subscriptions[listener.user_id]
            SUBSCRIPTIONS_ACTIVE.dec()

    def subscription_count(self) -> int:
        return sum(len(s) for s in self.subscriptions.values())

    def dispatch(self, message: dict[str, Any]) -> None:
        """Hands one published event to the local subscriptions it names."""
        kind = message.get("kind")
        if kind == SESSIONS_REVOKED:
            _sessions_revoked(message)
            return
        if kind == RESYNC.kind:
            self.resync_all()
            return
        recipients = message.get("users") or ()
        if len(recipients) > len(self.subscriptions):
            # A broadcast to many followers: walk the (fewer) local users instead.
            wanted = set(recipients)
            targets: Iterable[int] = [u for u in self.subscriptions if u in wanted]
        else:
            targets = recipients
        matched = [
            listener
            for user_id in targets
            for listener in self.subscriptions.get(user_id, ())
            if listener.kind == kind
        ]
        if not matched:
            return
        at = message.get("at")
        self.deliver(
            Event(
                str(kind),
                int(message.get("id") or 0),
                sorted({x.user_id for x in matched}),
                float(at) if isinstance(at, int | float) else None,
            ),
            matched,
        )

    def resync_all(self) -> None:
        listeners = [x for subscribers in self.subscriptions.values() for x in subscribers]
        if listeners:
            self.deliver(RESYNC, listeners)

    async def _listen(self) -> None:
        delay = BACKOFF_FIRST
        first = True
        while not self._closing:
            client: Any = None
            try:
                client = redis.asyncio.Redis.from_url(
                    self.redis_url, socket_connect_timeout=2, health_check_interval=15
                )
                pubsub = client.pubsub()
                self._pubsub = pubsub
                await pubsub.subscribe(self.channel)
                # Wait for Redis to confirm, so "ready" means no later event is missed.
                while True:
                    confirm = await pubsub.get_message(timeout=5)
                    if confirm is not None and confirm["type"] == "subscribe":
                        break
                    if confirm is None:
                        raise TimeoutError("Redis did not confirm the subscription")
                self.ready.set()
                if not first:
                    logger.info("event broker reconnected to Redis")
                # Revocations published before this subscription (or while it was cut)
                # are read from the database; later ones arrive here.
                self._reload_revocations()
                # Anything published while we were not subscribed must be re-read.
                self.resync_all()
                first = False
                delay = BACKOFF_FIRST
                async for raw in pubsub.listen():
                    if raw.get("type") != "message":
                        continue
                    try:
                        message = json.loads(raw["data"])
                    except (TypeError, ValueError):
                        logger.warning("dropped a malformed event from Redis")
                        continue
                    self.dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure means: reconnect
                self.ready.clear()
                if not self._closing:
                    logger.warning(
                        "event broker lost Redis (%s); retrying in %.1fs",
                        exc.__class__.__name__,
                        delay,
                    )
                    # Meanwhile sign-outs elsewhere reach this process only through the
                    # database: read them at each attempt (at most every BACKOFF_MAX).
                    self._reload_revocations()
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, BACKOFF_MAX)
            finally:
                pubsub, self._pubsub = self._pubsub, None
                # Bounded: a half-dead connection must not keep the broker from reconnecting.
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    if pubsub is not None:
                        await asyncio.wait_for(pubsub.aclose(), 1)
                    if client is not None:
                        await asyncio.wait_for(client.aclose(), 1)

    def _reload_revocations(self) -> None:
        """Reads the recent revocations from the database (one read at a time) and ends this
        process's sockets and streams of those sessions: a sign-out published while the
        subscription was cut never arrives here."""
        if self._reloading is None or self._reloading.done():
            self._reloading = self.loop.create_task(self._reload(), name="revocations")

    async def _reload(self) -> None:
        keys = await self.loop.run_in_executor(None, reload_revocations)
        if keys and not self._closing:
            revocations.announce(keys, None)

    async def close(self) -> None:
        self._closing = True
        if self._reloading is not None:
            self._reloading.cancel()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task], timeout=2)


def _sessions_revoked(message: dict[str, Any]) -> None:
    sessions = message.get("sessions")
    user = message.get("user")
    revocations.announce(
        [str(key) for key in sessions] if isinstance(sessions, list) else [],
        user if isinstance(user, int) else None,
    )


def reload_revocations() -> list[str]:
    """The recent revocations' keys, read from the database (none if it cannot be read)."""
    try:
        return revocations.load_recent()
    except Exception:
        logger.exception("could not read the recent session revocations")
        return []
    finally:
        connections.close_all()


# Publishing (sync: called from transaction.on_commit) ------------------------


@functools.cache
def _redis_publisher(url: str) -> redis.Redis:
    # Short timeouts: a Redis outage must not hold a mutation up for long.
    return redis.Redis.from_url(
        url, socket_connect_timeout=0.5, socket_timeout=1.0, retry_on_timeout=False
    )


# A publish failed: the other processes' subscriptions may have stayed connected, so none
# resynchronises by itself. The next publish that succeeds first tells them all to.
_publish_failed = False


def publish(message: dict[str, Any]) -> None:
    """Sends one event to every process (Redis) or to this process's subscriptions; raises
    on a Redis failure."""
    global _publish_failed
    url: str = settings.REDIS_URL
    if url:
        publisher, channel = _redis_publisher(url), channel_name()
        try:
            if _publish_failed:
                publisher.publish(channel, json.dumps({"kind": RESYNC.kind}))
                _publish_failed = False
            publisher.publish(channel, json.dumps(message, separators=(",", ":")))
        except Exception:
            _publish_failed = True
            raise
        return
    from realtime.runtime import current_runtime

    runtime = current_runtime()
    if runtime is not None:  # from the thread that committed, or on the loop itself
        runtime.broker.loop.call_soon_threadsafe(runtime.broker.dispatch, message)
