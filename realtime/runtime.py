"""The live side of one server process: what it holds once, whatever its sockets.

One `Runtime` per process (per event loop: each async test runs its own) owns the broker,
the deliveries, the keep-alive loop, the token expiries, the database thread, the loaders,
the garbage-collection care and the signed-in sockets and streams. `WithRuntime` starts it
(config/asgi.py); tests create and close one (tests/websocket/fixtures.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import time
import weakref
from typing import Any

from django.conf import settings

from realtime.broker import Broker, reload_revocations
from realtime.db import LiveDatabase
from realtime.delivery import Deliveries
from realtime.loaders import LiveLoaders
from realtime.memory import Maintenance
from realtime.rounds import Rounds
from social import revocations

logger = logging.getLogger(__name__)

# How a socket whose keep-alive cannot be sent is closed.
KEEP_ALIVE_FAILED = 4500


class KeepAlive(Rounds):
    """Every signed-in socket's keep-alive message once an interval, so that proxies keep
    idle sockets open (uvicorn's WebSocket pings close the ones whose peer vanished)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.handlers: dict[Any, None] = {}
        # The interval read at each round (tests override it); 25 sockets a slice.
        super().__init__(loop, self.handlers, self.send, lambda: settings.WS_KEEPALIVE_INTERVAL, 25)

    def add(self, handler: Any) -> None:
        self.handlers[handler] = None
        self.start()

    def discard(self, handler: Any) -> None:
        self.handlers.pop(handler, None)
        if not self.handlers:
            self.stop()  # no socket left: no timer left either

    def send(self, handler: Any) -> None:
        try:
            handler.keep_alive()
        except Exception as error:
            # Mostly peers gone, disconnects still queued: no traceback (they come in thousands).
            logger.info("WebSocket keep-alive failed (%s); closing", type(error).__name__)
            self.handlers.pop(handler, None)
            with contextlib.suppress(Exception):
                handler.close(KEEP_ALIVE_FAILED, "Keep-alive failed")


def _drop(index: dict[Any, tuple[Any, ...]], key: Any, holder: Any) -> None:
    left = tuple(held for held in index.get(key, ()) if held is not holder)
    if left:
        index[key] = left
    else:
        index.pop(key, None)


class SignedIn:
    """This process's signed-in sockets and streams by session key and by user: to end them
    when their session is signed out (on any process: social/revocations.py), and to count a
    user's connections. Tuples: smaller than a set or a list for the one holder of most keys."""

    def __init__(self) -> None:
        self.by_session: dict[str, tuple[Any, ...]] = {}
        self.by_user: dict[int, tuple[Any, ...]] = {}

    def count(self, user_id: int) -> int:
        return len(self.by_user.get(user_id, ()))

    def add(self, holder: Any, user_id: int, session_key: str | None) -> bool:
        """Adds a connection of `user_id`; False (not added) if they have
        WS_MAX_CONNECTIONS_PER_USER on this process already."""
        if self.count(user_id) >= int(settings.WS_MAX_CONNECTIONS_PER_USER):
            return False
        self.by_user[user_id] = (*self.by_user.get(user_id, ()), holder)
        if session_key:
            self.by_session[session_key] = (*self.by_session.get(session_key, ()), holder)
        return True

    def discard(self, holder: Any, user_id: int, session_key: str | None) -> None:
        _drop(self.by_user, user_id, holder)
        if session_key:
            _drop(self.by_session, session_key, holder)

    def signed_out(self, keys: list[str], user_id: int | None) -> None:
        """A revocation arrived (on the event loop): end what it names."""
        targets: set[Any] = set()
        for key in keys:
            targets.update(self.by_session.get(key, ()))
        if user_id is not None:
            targets.update(self.by_user.get(user_id, ()))
        for holder in targets:
            holder.sign_out("Signed out")


class Expiries:
    """When the signed-in sockets' access tokens expire: one timer for the earliest, not one
    per socket. A socket that closed is forgotten with its last reference (weak references)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.heap: list[tuple[float, int, weakref.ref[Any]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.added = 0

    def add(self, when: float, holder: Any) -> None:
        """`holder.expired()` is called at `when` (epoch seconds) if it still exists."""
        self.added += 1
        heapq.heappush(self.heap, (when, self.added, weakref.ref(holder)))
        if self.heap[0][1] == self.added:  # the new earliest
            self._arm()

    def _arm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = None
        if self.heap:
            delay = max(0.0, self.heap[0][0] - time.time())
            self.timer = self.loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self.timer = None
        now = time.time()
        while self.heap and self.heap[0][0] <= now:
            holder = heapq.heappop(self.heap)[2]()
            if holder is not None:
                holder.expired()
        self._arm()

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.heap.clear()


class Runtime:
    """The live side's per-process objects, bound to one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.deliveries = Deliveries()
        self.broker = Broker(settings.REDIS_URL, loop, self.deliveries.deliver)
        self.keep_alive = KeepAlive(loop)
        self.loaders = LiveLoaders()
        self.memory = Maintenance(loop)
        self.db = LiveDatabase()
        self.signed_in = SignedIn()
        self.expiries = Expiries(loop)
        self.started = False
        self.closed = False

    async def start(self) -> None:
        """Listens for events (revocations reach a process that only serves HTTP too) and
        starts the garbage-collection care; idempotent."""
        if self.started:
            return
        self.started = True
        self.broker.start()
        self.memory.start()
        if not revocations.is_loaded():
            # What was signed out while this process was down, before it serves anyone.
            await self.loop.run_in_executor(None, reload_revocations)

    async def close(self) -> None:
        """Stops everything it started and gives the database thread's connection back."""
        global _current
        if self.closed:
            return
        self.closed = True
        if _current is self:
            _current = None
        self.keep_alive.stop()
        self.expiries.stop()
        self.memory.stop()
        self.deliveries.close()
        await self.broker.close()
        await self.db.close()

    def _retire(self) -> None:
        # Its loop is gone (a test that did not close it): free what outlives a loop.
        self.closed = True
        self.keep_alive.handlers.clear()
        self.db.retire()


_current: Runtime | None = None


def _signed_out(keys: list[str], user_id: int | None) -> None:
    current = current_runtime()
    if current is not None:
        current.signed_in.signed_out(keys, user_id)


revocations.listeners.append(_signed_out)


def runtime() -> Runtime:
    """This process's runtime, created on first use inside the running event loop.

    A new event loop (each async test has one) gets a new runtime: asyncio objects cannot
    cross loops."""
    global _current
    loop = asyncio.get_running_loop()
    current = _current
    if current is None or current.loop is not loop or current.closed:
        if current is not None and not current.closed and not current.loop.is_running():
            current._retire()
        current = _current = Runtime(loop)
    return current


def current_runtime() -> Runtime | None:
    """The runtime, if one runs (without creating one, and without a running loop)."""
    current = _current
    if current is None or current.closed or current.loop.is_closed():
        return None
    return current


class WithRuntime:
    """ASGI entry: starts this process's runtime at the lifespan's startup, or on the
    first request or socket without lifespan events, closes it at shutdown, and hands
    each scope to its protocol's application (one frame, not a router's as well, for
    the life of every socket)."""

    def __init__(self, *, http: Any, websocket: Any) -> None:
        self.apps = {"http": http, "websocket": websocket}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        kind = scope.get("type")
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return None
        app = self.apps.get(kind)
        if app is None:
            raise ValueError(f"No application for a {kind} scope")
        await runtime().start()
        call = app(scope, receive, send)
        # This frame lives as long as the socket: it must not keep the scope (the
        # handshake's headers) that the application itself lets go.
        del scope, receive, send
        return await call

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await runtime().start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                current = current_runtime()
                if current is not None:
                    with contextlib.suppress(Exception):
                        await current.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
