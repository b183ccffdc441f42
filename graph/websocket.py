"""The WebSocket side of /graphql: graphql-transport-ws and legacy graphql-ws.

Limits (settings WS_*): the Origin must be a host in ALLOWED_HOSTS or an origin
in CORS_ALLOWED_ORIGINS (clients without Origin, i.e. native apps, are let in);
connection_init within WS_CONNECTION_INIT_TIMEOUT (else 4408), only once (4429);
a duplicate subscription id closes with 4409; a malformed message with 4400; a
message over WS_MAX_MESSAGE_BYTES with 4413; at most
WS_MAX_SUBSCRIPTIONS_PER_CONNECTION operations per socket and
WS_MAX_CONNECTIONS_PER_USER sockets per user on a process (4429).
Events come from notifications.broker, not from a channel-layer channel per socket.
"""

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
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
    Message,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.unset import UnsetType

from graph.auth import INVALID_TOKEN_MESSAGE, bearer_token, context_for_token
from graph.context import Context
from graph.schema import schema
from notifications.broker import get_broker
from observability.logging import log_ws_event
from observability.metrics import WEBSOCKETS_OPEN
from social.models import User

logger = logging.getLogger(__name__)

CLOSE_BAD_MESSAGE = 4400
CLOSE_FORBIDDEN = 4403
CLOSE_INIT_TIMEOUT = 4408
CLOSE_TOO_MANY = 4429
CLOSE_TOO_LARGE = 4413
CLOSE_INTERNAL_ERROR = 4500


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with server pings and strict message shapes."""

    keep_alive_task: asyncio.Task[None] | None = None

    async def handle_message(self, message: Message) -> None:
        # The base handler assumes a JSON object; a list or a number would crash it.
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.handle_invalid_message("Messages must be JSON objects with a type")
            return
        if message["type"] == "subscribe" and (
            not isinstance(message.get("id"), str)
            or not isinstance(message.get("payload"), dict)
            or not isinstance(message["payload"].get("query"), str)
        ):
            await self.handle_invalid_message("A subscribe message needs an id and a query")
            return
        await super().handle_message(message)

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        interval = float(settings.WS_KEEPALIVE_INTERVAL)
        if self.connection_acknowledged and interval > 0 and self.keep_alive_task is None:
            self.keep_alive_task = asyncio.create_task(self._ping(interval))

    async def _ping(self, interval: float) -> None:
        # Keeps proxies from dropping an idle socket; clients answer with pong.
        while True:
            await asyncio.sleep(interval)
            await self.send_message({"type": "ping"})

    async def shutdown(self) -> None:
        if self.keep_alive_task is not None:
            self.keep_alive_task.cancel()
            with contextlib.suppress(BaseException):
                await self.keep_alive_task
        await super().shutdown()


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    """Legacy graphql-ws, given the connection-init timeout the base handler lacks."""

    async def handle(self) -> None:
        timer = asyncio.create_task(self._init_timeout())
        try:
            await super().handle()
        finally:
            timer.cancel()
            with contextlib.suppress(BaseException):
                await timer

    async def _init_timeout(self) -> None:
        await asyncio.sleep(float(settings.WS_CONNECTION_INIT_TIMEOUT))
        if not self.connection_acknowledged:
            await self.websocket.close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout")

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
    async def close(self, code: int, reason: str) -> None:
        consumer: GraphQLConsumer = self.ws_consumer  # type: ignore[assignment]
        if consumer.close_override is not None:
            # A rejection with a reason of our own (e.g. too many connections).
            code, reason = consumer.close_override
        elif not (code == 1000 or 3000 <= code <= 4999):
            # Servers may only send 1000 or 3000-4999 (daphne refuses the others).
            code = CLOSE_FORBIDDEN if code == 1011 else CLOSE_BAD_MESSAGE
        await super().close(code, reason)


@database_sync_to_async
def _active_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def _origin_host_allowed(origin: str) -> bool:
    host = urlsplit(origin).netloc
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


class GraphQLConsumer(GraphQLWSConsumer):
    # Events reach sockets through notifications.broker: no channel-layer channel
    # (and no Redis subscription) per socket.
    channel_layer_alias = "graphql-websocket-without-layer"
    websocket_adapter_class = WebSocketAdapter  # type: ignore[assignment]
    graphql_transport_ws_handler_class = TransportWSHandler  # type: ignore[assignment]
    graphql_ws_handler_class = LegacyWSHandler  # type: ignore[assignment]

    def __init__(self, schema: Any, **options: Any) -> None:
        # Read per connection, so a changed setting applies to the next socket.
        options.setdefault("keep_alive", float(settings.WS_KEEPALIVE_INTERVAL) > 0)
        options.setdefault("keep_alive_interval", float(settings.WS_KEEPALIVE_INTERVAL) or None)
        options.setdefault(
            "connection_init_wait_timeout",
            dt.timedelta(seconds=float(settings.WS_CONNECTION_INIT_TIMEOUT)),
        )
        options.setdefault(
            "max_subscriptions_per_connection", settings.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION
        )
        options.setdefault("allowed_origins", list(settings.CORS_ALLOWED_ORIGINS))
        super().__init__(schema, **options)
        self.close_override: tuple[int, str] | None = None
        self.counted_user_id: int | None = None
        self.accepted = False
        self.closing_task: asyncio.Future[None] | None = None
        # For the session's log lines (observability.logging), never a secret.
        self.connection_id = uuid.uuid4().hex
        self.opened_at = time.monotonic()

    def is_websocket_origin_allowed(self, request: Any, origin: str) -> bool:
        return super().is_websocket_origin_allowed(request, origin) or _origin_host_allowed(origin)

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

    async def disconnect(self, code: int) -> None:
        if self.run_task is not None:
            await super().disconnect(code)
        if self.counted_user_id is not None:
            get_broker().connection_close(self.counted_user_id)
            self.counted_user_id = None
        if self.accepted:
            self.accepted = False
            WEBSOCKETS_OPEN.dec()
            log_ws_event(
                "disconnect",
                connection_id=self.connection_id,
                close_code=code,
                duration_ms=round((time.monotonic() - self.opened_at) * 1000),
            )

    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        context = Context(ws=request)
        user = request.scope.get("user")
        if user is not None and user.is_authenticated and user.is_active:
            context.set_viewer(user)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:  # type: ignore[override]
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        if raw is not None:
            # A token in connection_init wins over the session cookie.
            context.set_viewer(None)
            context_for_token(bearer_token(raw) if isinstance(raw, str) else "", context)
            user_id = context.viewer_id
            user = None if user_id is None else await _active_user(user_id)
            context.set_viewer(user)
            if context.auth_error is not None or user is None:
                log_ws_event("rejected", connection_id=self.connection_id, reason="invalid token")
                raise ConnectionRejectionError({"message": INVALID_TOKEN_MESSAGE})
        if context.viewer_id is not None:
            limit = int(settings.WS_MAX_CONNECTIONS_PER_USER)
            if not get_broker().connection_open(context.viewer_id, limit):
                message = f"Too many connections: at most {limit} per user."
                self.close_override = (CLOSE_TOO_MANY, message)
                raise ConnectionRejectionError({"message": message})
            self.counted_user_id = context.viewer_id
        log_ws_event("connection_init", connection_id=self.connection_id, user_id=context.viewer_id)
        return await super().on_ws_connect(context)  # type: ignore[arg-type]


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
        cookie = dict(scope.get("headers", ())).get(b"cookie", b"")
        if settings.SESSION_COOKIE_NAME.encode() in cookie:
            return await self.with_session(scope, receive, send)
        return await self.inner(dict(scope, user=AnonymousUser()), receive, send)


websocket_application = SessionWhenCookie(
    URLRouter([re_path(r"^graphql/?$", GraphQLConsumer.as_asgi(schema=schema))])
)
