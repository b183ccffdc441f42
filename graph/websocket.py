"""The WebSocket side of /graphql: graphql-transport-ws and legacy graphql-ws.

Origins: a browser's Origin must pass graph.origins.origin_allowed, the HTTP side's
rule; clients without Origin (native apps, servers) are let in with a bearer token,
never with the session cookie alone.
Limits (settings WS_*):
connection_init within WS_CONNECTION_INIT_TIMEOUT (else 4408), only once (4429);
a duplicate subscription id closes with 4409; a malformed message with 4400; a
message over WS_MAX_MESSAGE_BYTES with 4413; at most
WS_MAX_SUBSCRIPTIONS_PER_CONNECTION operations per socket and
WS_MAX_CONNECTIONS_PER_USER sockets per user on a process (4429).
A signed-in socket closes with 4403 when its session is signed out or its user
deactivated or deleted (on any process: social/revocations.py), and when its access
token expires; graphql-ws's client retries 4403 by default (4401 it would not), so a
client reconnects with a fresh token, or learns that it is signed out.
Events come from realtime.broker, not from a channel-layer channel per socket.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from django.urls import re_path
from strawberry.channels import GraphQLWSConsumer
from strawberry.channels.handlers.ws_handler import ChannelsWebSocketAdapter
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.unset import UnsetType

from graph.auth import INVALID_TOKEN_MESSAGE, bearer_token, context_for_token
from graph.context import Context
from graph.origins import origin_allowed
from graph.persisted import PersistedDocumentError, resolve_subscribe_payload
from graph.schema import schema
from observability.logging import log_ws_event
from observability.metrics import WEBSOCKETS_OPEN
from realtime.db import subscription_db
from realtime.fifo import LightFifo
from realtime.runtime import KEEP_ALIVE_FAILED, keep_alive_discard, runtime
from social import revocations
from social.models import User

logger = logging.getLogger(__name__)

CLOSE_BAD_MESSAGE = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_INIT_TIMEOUT = 4408
CLOSE_TOO_MANY = 4429
CLOSE_TOO_LARGE = 4413
CLOSE_INTERNAL_ERROR = KEEP_ALIVE_FAILED  # 4500
# Retried by graphql-ws's default client (unlike 4401): it reconnects with a fresh token.
CLOSE_SIGNED_OUT = 4403


def _keep_alive_on() -> bool:
    return float(settings.WS_KEEPALIVE_INTERVAL) > 0


def _retrieve(task: "asyncio.Future[Any]") -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("WebSocket close failed", exc_info=task.exception())


class _InitTimeout:
    """Closes a socket with 4408 when connection_init has not come in time.

    A timer, not the task per socket strawberry uses: nothing is left once init arrives.
    """

    init_timer: asyncio.TimerHandle | None = None
    timeout_close: "asyncio.Future[None] | None" = None
    websocket: Any

    def _start_init_timer(self, seconds: float) -> None:
        self.init_timer = asyncio.get_running_loop().call_later(seconds, self._init_timed_out)

    def _initialised(self) -> bool:
        raise NotImplementedError

    def _init_timed_out(self) -> None:
        self.init_timer = None
        if self._initialised():
            return
        self._mark_timed_out()
        self.timeout_close = asyncio.ensure_future(
            self.websocket.close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout")
        )
        self.timeout_close.add_done_callback(_retrieve)

    def _mark_timed_out(self) -> None:
        """What the protocol's handler must know of a timeout, before the socket closes."""

    def _cancel_init_timer(self) -> None:
        if self.init_timer is not None:
            self.init_timer.cancel()
            self.init_timer = None


class TransportWSHandler(_InitTimeout, BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with server pings and strict message shapes."""

    def on_request_accepted(self) -> None:
        self._start_init_timer(self.connection_init_wait_timeout.total_seconds())

    def _initialised(self) -> bool:
        return bool(self.connection_init_received)

    def _mark_timed_out(self) -> None:
        self.connection_timed_out = True

    async def handle_message(self, message: Message) -> None:
        # The base handler assumes a JSON object; a list or a number would crash it.
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("Messages must be JSON objects with a type")
            return
        if message["type"] == "subscribe" and not await self._persisted_resolved(message):
            return
        if message["type"] == "subscribe" and (
            not isinstance(message.get("id"), str)
            or not isinstance(message.get("payload"), dict)
            or not isinstance(message["payload"].get("query"), str)
        ):
            await self.handle_invalid_message("A subscribe message needs an id and a query")
            return
        await super().handle_message(message)

    async def _persisted_resolved(self, message: Any) -> bool:
        """False when a persisted or untrusted document was refused with an `error`."""
        payload, op_id = message.get("payload"), message.get("id")
        if not isinstance(payload, dict) or not isinstance(op_id, str):
            return True
        try:
            resolve_subscribe_payload(payload)
        except PersistedDocumentError as exc:
            error: Any = {"message": exc.message, "extensions": {"code": exc.code}}
            await self.send_message(ErrorMessage(id=op_id, type="error", payload=[error]))
            return False
        return True

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        if not self.connection_timed_out:
            self._cancel_init_timer()
        await super().handle_connection_init(message)
        if self.connection_acknowledged and _keep_alive_on():
            runtime().keep_alive.add(self)

    async def send_keep_alive(self) -> None:
        # Clients answer with pong.
        await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        self._cancel_init_timer()
        keep_alive_discard(self)
        await super().shutdown()


class LegacyWSHandler(_InitTimeout, BaseGraphQLWSHandler[Context, None]):
    """Legacy graphql-ws, given the connection-init timeout the base handler lacks."""

    async def handle(self) -> None:
        # Keep-alives come from the process-wide loop.
        self._start_init_timer(float(settings.WS_CONNECTION_INIT_TIMEOUT))
        try:
            await super().handle()
        finally:
            self._cancel_init_timer()
            keep_alive_discard(self)

    def _initialised(self) -> bool:
        return bool(self.connection_acknowledged)

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged:
            self._cancel_init_timer()
            if _keep_alive_on():
                # As strawberry's own keep-alive did: one "ka" right after the ack.
                await self.send_keep_alive()
                runtime().keep_alive.add(self)

    async def send_keep_alive(self) -> None:
        await self.send_message({"type": "ka"})

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.websocket.close(CLOSE_BAD_MESSAGE, "Messages must be JSON objects")
            return
        if message["type"] == "connection_init" and self.connection_acknowledged:
            await self.websocket.close(CLOSE_TOO_MANY, "Too many initialisation requests")
            return
        if message["type"] == "start" and (
            not isinstance(message.get("id"), str)
            or not isinstance(message.get("payload"), dict)
            or not isinstance(message["payload"].get("query"), str)
        ):
            await self.websocket.close(CLOSE_BAD_MESSAGE, "A start message needs an id and a query")
            return
        await super().handle_message(message)  # type: ignore[arg-type]


class WebSocketAdapter(ChannelsWebSocketAdapter):
    async def send_json(self, message: Any) -> None:
        if self.ws_consumer.signed_out:  # type: ignore[attr-defined]
            # Signed out: nothing more reaches this socket, not even a delivery under way.
            return
        await super().send_json(message)

    async def close(self, code: int, reason: str) -> None:
        consumer: GraphQLConsumer = self.ws_consumer  # type: ignore[assignment]
        if consumer.close_override is not None:
            # A rejection with a reason of our own (e.g. too many connections).
            code, reason = consumer.close_override
        elif not (code == 1000 or 3000 <= code <= 4999):
            # Servers may only send 1000 or 3000-4999 (daphne refuses the others).
            code = CLOSE_FORBIDDEN if code == 1011 else CLOSE_BAD_MESSAGE
        await super().close(code, reason)


@subscription_db
def _active_user(user_id: int) -> User | None:
    # On the live side's database thread, which keeps its connection: no pool checkout
    # (and its health-check query) per connect. A slice, not .first(): no ORDER BY.
    return next(
        iter(User.objects.filter(pk=user_id, is_active=True, suspended_at__isnull=True)[:1]),
        None,
    )


@subscription_db
def _load_revocations() -> int:
    return revocations.load_recent()


class GraphQLConsumer(GraphQLWSConsumer):
    # Events reach sockets through realtime.broker: no channel-layer channel
    # (and no Redis subscription) per socket.
    channel_layer_alias = "graphql-websocket-without-layer"
    websocket_adapter_class = WebSocketAdapter  # type: ignore[assignment]
    graphql_transport_ws_handler_class = TransportWSHandler  # type: ignore[assignment]
    graphql_ws_handler_class = LegacyWSHandler  # type: ignore[assignment]

    def __init__(self, schema: Any, **options: Any) -> None:
        # Keep-alives come from one loop per process (realtime.runtime.KeepAlive), not a
        # task per socket.
        options.setdefault("keep_alive", False)
        # Read per connection, so a changed setting applies to the next socket.
        options.setdefault(
            "connection_init_wait_timeout",
            dt.timedelta(seconds=float(settings.WS_CONNECTION_INIT_TIMEOUT)),
        )
        options.setdefault(
            "max_subscriptions_per_connection", settings.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION
        )
        super().__init__(schema, **options)
        self.message_queue = LightFifo()  # type: ignore[assignment]
        self.close_override: tuple[int, str] | None = None
        self.counted_user_id: int | None = None
        # This process's runtime, kept: a disconnect must count down where connect counted.
        self.runtime = runtime()
        self.accepted = False
        self.closing_task: asyncio.Future[None] | None = None
        # Whose socket this is, for closing it on sign-out (realtime.runtime.SignedIn).
        self.signed_in: tuple[int, str | None] | None = None
        self.signed_out = False
        self.expiry_timer: asyncio.TimerHandle | None = None
        # For the session's log lines (observability.logging), never a secret.
        self.connection_id = uuid.uuid4().hex
        self.opened_at = time.monotonic()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if get_channel_layer(self.channel_layer_alias) is not None:
            await super().__call__(scope, receive, send)
            return
        # Without a channel layer there is one source of messages: await it here, not in
        # channels' extra task (and asyncio.wait) per socket.
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            while True:
                await self.dispatch(await receive())

    async def dispatch(self, message: Any) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None or not message["type"].startswith("websocket."):
            await super().dispatch(message)
            return
        # Channels would first close stale database connections in a thread hop for
        # every message; these handlers never touch the database on the event loop
        # (their reads run in database threads, which close or keep them themselves).
        await handler(message)

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        return origin_allowed(origin, host=_text(dict(self.scope["headers"]).get(b"host")))

    async def connect(self) -> None:
        host = dict(self.scope.get("headers", ())).get(b"host")
        if host is not None:
            domain, _port = split_domain_port(host.decode("latin1"))
            if not validate_host(domain, settings.ALLOWED_HOSTS):
                # As Django's HTTP side: a Host not served here is refused (DNS rebinding).
                await self.close()
                return
        await super().connect()
        if self.run_task is not None:
            self.run_task.add_done_callback(self._run_ended)

    def _run_ended(self, task: "asyncio.Task[Any]") -> None:
        # A bug or an outage inside the protocol handler must not leave the socket open
        # and silent: the client would wait forever instead of reconnecting.
        if task.cancelled() or task.exception() is None:
            return
        logger.error("WebSocket handler failed", exc_info=task.exception())
        self.closing_task = asyncio.ensure_future(
            self.close(code=CLOSE_INTERNAL_ERROR, reason="Internal error")
        )

    async def create_websocket_response(self, request: Any, subprotocol: str | None) -> Any:
        response = await super().create_websocket_response(request, subprotocol)
        self.accepted = True
        WEBSOCKETS_OPEN.inc()
        self.runtime.memory.connection_opened()
        log_ws_event("connect", connection_id=self.connection_id, subprotocol=subprotocol)
        return response

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data or "") + len(bytes_data or b"")
        if size > settings.WS_MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_LARGE, reason="Message too large")
            # Stops the protocol handler as a disconnect would.
            self.message_queue.put_nowait({"message": None, "disconnected": True})
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data)

    async def websocket_disconnect(self, message: Any) -> None:
        # Channels' own would then close stale database connections in a thread hop per
        # socket: thousands queued behind one another when a fleet of clients drops at once.
        await self.disconnect(message["code"])
        raise StopConsumer

    def sign_out(self, reason: str) -> None:
        """Closes this socket because its credentials ended; sends nothing more first."""
        if self.signed_out:
            return
        self.signed_out = True
        self._forget_sign_in()
        self.closing_task = asyncio.ensure_future(self.close(code=CLOSE_SIGNED_OUT, reason=reason))
        self.closing_task.add_done_callback(_retrieve)
        # Stops the protocol handler and its subscriptions as a disconnect would.
        self.message_queue.put_nowait({"message": None, "disconnected": True})

    def _remember_sign_in(self, context: Context) -> None:
        if context.viewer_id is None:
            return
        if context.session_key is not None and revocations.is_revoked(context.session_key):
            # Signed out while this socket was being let in.
            raise ConnectionRejectionError({"message": INVALID_TOKEN_MESSAGE})
        self.signed_in = (context.viewer_id, context.session_key)
        self.runtime.signed_in.add(self, context.viewer_id, context.session_key)
        if context.token_expires_at is not None:
            delay = max(0.0, context.token_expires_at - time.time())
            self.expiry_timer = asyncio.get_running_loop().call_later(
                delay, self.sign_out, "Access token expired"
            )

    def _forget_sign_in(self) -> None:
        if self.expiry_timer is not None:
            self.expiry_timer.cancel()
            self.expiry_timer = None
        if self.signed_in is not None:
            self.runtime.signed_in.discard(self, *self.signed_in)
            self.signed_in = None

    async def disconnect(self, code: int) -> None:
        self._forget_sign_in()
        if self.run_task is not None:
            await super().disconnect(code)
        if self.counted_user_id is not None:
            self.runtime.broker.connection_close(self.counted_user_id)
            self.counted_user_id = None
        if self.accepted:
            self.accepted = False
            WEBSOCKETS_OPEN.dec()
            self.runtime.memory.connection_closed()
            log_ws_event(
                "disconnect",
                connection_id=self.connection_id,
                close_code=code,
                duration_ms=round((time.monotonic() - self.opened_at) * 1000),
            )

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        context = Context(ws=request)
        user = request.scope.get("user")
        if user is not None and user.is_authenticated and user.is_active and not user.is_suspended:
            context.set_viewer(user)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:  # type: ignore[override]
        params = context.connection_params or {}
        # Present at all (even ""), the token alone decides, as the HTTP header does.
        raw = next((v for k, v in params.items() if k.lower() == "authorization"), None)
        # The credential is not kept for the life of the socket (nothing reads it later).
        context.connection_params = {
            key: value for key, value in params.items() if key.lower() != "authorization"
        }
        if raw is not None:
            # A token in connection_init wins over the session cookie.
            context.set_viewer(None)
            if not revocations.is_loaded():
                await _load_revocations()
            context_for_token(bearer_token(raw) if isinstance(raw, str) else "", context)
            user_id = context.viewer_id
            user = None if user_id is None else await _active_user(user_id)
            context.set_viewer(user)
            if context.auth_error is not None or user is None:
                log_ws_event("rejected", connection_id=self.connection_id, reason="invalid token")
                raise ConnectionRejectionError({"message": INVALID_TOKEN_MESSAGE})
        if context.viewer_id is not None:
            limit = int(settings.WS_MAX_CONNECTIONS_PER_USER)
            if not self.runtime.broker.connection_open(context.viewer_id, limit):
                message = f"Too many connections: at most {limit} per user."
                self.close_override = (CLOSE_TOO_MANY, message)
                raise ConnectionRejectionError({"message": message})
            self.counted_user_id = context.viewer_id
            self._remember_sign_in(context)
        log_ws_event("connection_init", connection_id=self.connection_id, user_id=context.viewer_id)
        return await super().on_ws_connect(context)  # type: ignore[arg-type]


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin1")


class SessionWhenCookie:
    """Channels' session auth, only for handshakes that carry the session cookie.

    Native clients sign in with a token in connection_init; sparing them the session
    lookup (a database thread hop queued behind every other socket's) keeps a burst of
    reconnects inside daphne's handshake timeout.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.with_session = AuthMiddlewareStack(inner)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        headers = dict(scope.get("headers", ()))
        # A browser always sends Origin: a handshake without one is no browser's, and the
        # cookie alone must not sign it in (the consumer refuses disallowed origins).
        if settings.SESSION_COOKIE_NAME.encode() in headers.get(b"cookie", b"") and origin_allowed(
            _text(headers.get(b"origin")), host=_text(headers.get(b"host"))
        ):
            return await self.with_session(scope, receive, send)
        # Set in place, not on a copy: this frame keeps the server's scope alive for as
        # long as the socket is open, and a copy would be one more dict per socket.
        scope["user"] = AnonymousUser()
        return await self.inner(scope, receive, send)


websocket_application = SessionWhenCookie(
    URLRouter([re_path(r"^graphql/?$", GraphQLConsumer.as_asgi(schema=schema))])
)
