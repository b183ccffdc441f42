"""uvicorn's wsproto WebSocket protocol, trimmed to what an idle socket must hold.

Selected with `uvicorn --ws realtime.server_ws:LeanWSProtocol` (the Procfile). It is
uvicorn's own `WSProtocol` (handshake, rejection, limits, close handshakes, flow control,
shutdown: all its code) with its per-connection state made smaller:

- every attribute in `__slots__` (uvicorn's ~37 attributes made a full instance dict);
- the receive queue a list and a future made only while the application waits, instead of
  an `asyncio.Queue` and its two deques; the writable flag a shared open gate, with a gate
  of its own only while the transport is paused, instead of an `asyncio.Event`;
- the message buffer only while a message is arriving;
- once accepted, wsproto's upgrade state (its `H11Handshake`, an h11 connection) dropped
  for the open connection alone (its event deque a list), and the scope left to the
  application;
- a frame that cannot be parsed answered with its close code (1002, 1007) before the
  connection is closed, where uvicorn's closes it without a word;
- keep-alive pings from one timer per server for all its sockets (`ServerPings`) instead
  of a timer per socket: the same interval, and a peer that does not answer a ping within
  `--ws-ping-timeout` closed with 1011.

Every uvicorn and wsproto internal used here is listed in docs/internals.md and pinned by
tests/realtime/test_server_ws.py.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import weakref
from typing import Any, cast

from uvicorn.protocols.websockets.wsproto_impl import WebsocketBuffer, WSProtocol
from wsproto import ConnectionType, WSConnection, events
from wsproto.connection import ConnectionState

from realtime.rounds import Rounds

# Sockets pinged in one go; the slices of a round are spread over the interval.
PING_SLICE = 100


class _Inbox:
    """What `asyncio.Queue` did for uvicorn's protocol, for its one reader (the ASGI
    application's `receive`, which waits on `waiter`): messages in a list, and a future
    only while it waits."""

    __slots__ = ("items", "waiter")

    def __init__(self) -> None:
        self.items: list[Any] | None = None
        self.waiter: asyncio.Future[None] | None = None

    def put_nowait(self, message: Any) -> None:
        if self.items is None:
            self.items = [message]
        else:
            self.items.append(message)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self.items

    def get_nowait(self) -> Any:
        assert self.items
        message = self.items.pop(0)
        if not self.items:
            self.items = None
        return message


class _Events(list[Any]):
    """wsproto's `Connection._events`, where it only ever puts the close of a lost
    connection: a list (empty, 56 bytes) instead of a deque (760)."""

    __slots__ = ()

    def popleft(self) -> Any:
        return self.pop(0)


class _Open:
    """The writable flag of every socket whose transport is not paused (one object)."""

    __slots__ = ()

    def is_set(self) -> bool:
        return True

    def set(self) -> None:
        pass

    async def wait(self) -> None:
        return None


OPEN = _Open()


class _Paused:
    """The writable flag while one transport is paused: senders wait until `set()`, which
    is final (resumed, or the connection lost)."""

    __slots__ = ("opened", "waiters")

    def __init__(self) -> None:
        self.opened = False
        self.waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self.opened

    def set(self) -> None:
        self.opened = True
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self) -> None:
        if self.opened:
            return
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append(waiter)
        try:
            await waiter
        finally:
            self.waiters.remove(waiter)


class LeanWSProtocol(WSProtocol):
    """uvicorn's `WSProtocol` with slots, lazy queue, gate and buffer, no handshake state
    after the accept and the server's pings instead of its own timer."""

    __slots__ = (
        "app", "app_state", "asgi_version", "buffer", "client",
        "close_sent", "close_timeout", "close_timer", "config", "conn", "connections",
        "default_headers", "disconnected", "handshake_complete", "last_ping_rtt",
        "logger", "loop", "pending_ping_payload", "ping_interval", "ping_sent_at",
        "ping_timeout", "ping_timer", "pong_timer", "queue", "read_paused",
        "response_started", "root_path", "scheme", "scope", "server", "server_state",
        "tasks", "transport", "writable",
    )  # fmt: skip

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        # uvicorn's __init__ (wsproto_impl.WSProtocol), without its Queue, Events, buffer
        # and keep-alive timers.
        if not config.loaded:
            config.load()
        self.config = config
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.logger = _LOGGER
        self.root_path = config.root_path
        self.asgi_version = config.asgi_version
        self.app_state = app_state
        self.server_state = server_state
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.default_headers = server_state.default_headers
        self.transport = None  # type: ignore[assignment]
        self.server = None
        self.client = None
        self.scheme = None  # type: ignore[assignment]
        self.queue = _Inbox()  # type: ignore[assignment]
        self.handshake_complete = False
        self.close_sent = False
        self.disconnected = False
        self.close_timer = None
        self.close_timeout = 10.0
        self.response_started = False
        self.conn = WSConnection(connection_type=ConnectionType.SERVER)
        self.read_paused = False
        self.writable = OPEN  # type: ignore[assignment]
        self.ping_interval = config.ws_ping_interval
        self.ping_timeout = config.ws_ping_timeout
        self.ping_timer = None
        self.pong_timer = None
        self.pending_ping_payload = None
        self.ping_sent_at = 0.0
        self.last_ping_rtt = 0.0
        self.buffer = None  # type: ignore[assignment]

    async def receive(self) -> Any:
        # uvicorn's receive() with the inbox's get() inlined: one coroutine frame less
        # held by every idle socket, whose application always waits here.
        inbox = cast(_Inbox, self.queue)
        while not inbox.items:
            waiter = inbox.waiter = self.loop.create_future()
            try:
                await waiter
            finally:
                inbox.waiter = None
        message = inbox.get_nowait()
        if self.read_paused and inbox.empty():
            self.read_paused = False
            self.transport.resume_reading()
        return message

    # Flow control: a gate of its own only while paused.

    def pause_writing(self) -> None:
        if self.writable is OPEN:
            self.writable = _Paused()  # type: ignore[assignment]

    def resume_writing(self) -> None:
        gate, self.writable = self.writable, OPEN  # type: ignore[assignment]
        gate.set()

    # The message buffer, only while a message arrives.

    def handle_message(self, event: events.TextMessage | events.BytesMessage) -> None:
        if self.buffer is None:
            self.buffer = WebsocketBuffer(self.config.ws_max_size)
        super().handle_message(event)
        if event.message_finished or self.close_sent:
            self.buffer = None  # type: ignore[assignment]

    # Accepted: uvicorn calls start_keepalive() right after writing the accept.

    def start_keepalive(self) -> None:
        connection = self.conn.connection if isinstance(self.conn, WSConnection) else None
        if connection is not None:
            # The open connection alone: the same send/receive_data/events/state.
            connection._events = _Events(connection._events)  # type: ignore[assignment]
            self.conn = connection  # type: ignore[assignment]
        # Only the handshake read them; the application holds its own scope.
        self.scope = None  # type: ignore[assignment]
        self.server = None
        if self.ping_interval is not None and self.ping_interval > 0:
            server_pings(self).start()

    def handle_close(self, event: events.CloseConnection) -> None:
        if not self.close_sent and self.conn.state is ConnectionState.OPEN:
            # Not the peer's close but a frame wsproto could not parse (1002, 1007):
            # the peer is told why (RFC 6455 7.1.7) instead of only losing the connection.
            self.transport.write(self.conn.send(event))
        super().handle_close(event)

    def handle_pong(self, event: events.Pong) -> None:
        if self.pending_ping_payload is not None and bytes(event.payload) == (
            self.pending_ping_payload
        ):
            self.pending_ping_payload = None

    def ping(self, payload: bytes, now: float, tolerance: float) -> None:
        """The server's round reached this socket: a ping, or 1011 if the last one is
        still unanswered after the ping timeout."""
        if not self.handshake_complete or self.close_sent or self.transport.is_closing():
            return
        since = now - self.ping_sent_at
        if self.pending_ping_payload is not None:
            timeout = self.ping_timeout
            if timeout is not None and since >= timeout - tolerance:
                self.keepalive_timeout()
            return
        if since < float(self.ping_interval or 0) - tolerance:
            return
        self.pending_ping_payload = payload
        self.ping_sent_at = now
        self.transport.write(self.conn.send(events.Ping(payload=payload)))


class ServerPings(Rounds):
    """Keep-alive pings for every WebSocket of one uvicorn server, PING_SLICE at a time."""

    def __init__(self, protocol: LeanWSProtocol) -> None:
        interval, timeout = float(protocol.ping_interval or 0), protocol.ping_timeout
        # A pending ping is checked once a round: rounds come at least as often as the
        # timeout, and a socket's place in a round may move by a slice (the tolerance).
        step = min(interval, timeout) if timeout else interval
        super().__init__(protocol.loop, protocol.connections, self._ping, lambda: step, PING_SLICE)
        self.payload = b""  # the round's ping payload, new with each round (taken())

    def taken(self) -> list[Any]:
        self.payload = struct.pack("!I", random.getrandbits(32))  # one a round
        return [c for c in self.members if isinstance(c, LeanWSProtocol)]  # not HTTP ones

    def _ping(self, protocol: LeanWSProtocol) -> None:
        protocol.ping(self.payload, self.loop.time(), tolerance=self.delay)


_pings: weakref.WeakKeyDictionary[Any, ServerPings] = weakref.WeakKeyDictionary()


def server_pings(protocol: LeanWSProtocol) -> ServerPings:
    """The pings of the server this socket belongs to (by its uvicorn ServerState)."""
    pings = _pings.get(protocol.server_state)
    if pings is None or pings.loop is not protocol.loop:
        pings = _pings[protocol.server_state] = ServerPings(protocol)
    return pings


_LOGGER = logging.getLogger("uvicorn.error")
