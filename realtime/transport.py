"""The WebSocket side of /graphql: graphql-transport-ws and legacy graphql-ws, one lean
ASGI handler. A socket is a `Socket` (a few slots) and the server's own objects; each of its
subscriptions a `realtime.delivery.Live` record, rendered per event (bench/RESULTS.md
section 14). A subscribe runs through the schema once (validation, limits, the field's
checks, which register the record); queries and mutations run on a thread as over HTTP.

A browser's Origin must pass graph.origins.origin_allowed; clients without one (native
apps) sign in with a bearer token, never the session cookie alone. Closes (settings WS_*):
no connection_init in time 4408, twice 4429; a duplicate id 4409; a malformed message 4400;
one over WS_MAX_MESSAGE_BYTES 4413; too many sockets per user on a process 4429; signed
out, deactivated or token expired 4403, which graphql-ws's client retries (4401 it would
not), so a client reconnects with a fresh token; the database down while a socket signs in,
or a client that stopped reading past BACKLOG frames, 1013, which it retries too.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import sys
import time
import uuid
from collections import deque
from collections.abc import Awaitable
from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_operation_type

from graph.auth import INVALID_TOKEN_MESSAGE, bearer_token, context_for_token
from graph.context import Context
from graph.extensions import refusal
from graph.origins import origin_allowed
from graph.persisted import PersistedDocumentError, resolve_subscribe_payload
from graph.schema import schema
from graph.security.documents import parsed_document
from graph.security.errors import is_database_unavailable
from observability.logging import log_ws_event
from observability.metrics import WEBSOCKETS_OPEN
from realtime import delivery
from realtime.db import subscription_db
from realtime.runtime import KEEP_ALIVE_FAILED, runtime
from social import revocations
from social.media.storage import origin_context
from social.models import User

logger = logging.getLogger(__name__)

TRANSPORT_WS, LEGACY_WS = "graphql-transport-ws", "graphql-ws"
CLOSE_BAD_MESSAGE = 4400
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_INIT_TIMEOUT = 4408
CLOSE_DUPLICATE = 4409
CLOSE_TOO_LARGE = 4413
CLOSE_TOO_MANY = 4429
CLOSE_INTERNAL_ERROR = KEEP_ALIVE_FAILED  # 4500
# A passing outage (the database): "Try Again Later", which graphql-ws's client retries.
CLOSE_TRY_AGAIN_LATER = delivery.CLOSE_TRY_AGAIN_LATER
# Retried by graphql-ws's default client (unlike 4401): it reconnects with a fresh token.
CLOSE_SIGNED_OUT = 4403
# Messages a socket whose client stopped reading may hold; past them it is closed.
BACKLOG = 1000

NEW, INITIALISING, READY, CLOSED = range(4)


async def _apart(coroutine: Any) -> Any:
    """Awaits `coroutine` in a task of its own context: asgiref's thread hop sets a context
    variable, which would otherwise stay in the socket's own context."""
    return await asyncio.get_running_loop().create_task(coroutine, context=contextvars.Context())


@subscription_db
def _active_user(user_id: int) -> User | None:
    # On the live side's database thread, which keeps its connection: no pool checkout
    # (and its health-check query) per connect. A slice, not .first(): no ORDER BY.
    return next(
        iter(User.objects.filter(pk=user_id, is_active=True, suspended_at__isnull=True)[:1]),
        None,
    )


@subscription_db
def _load_revocations() -> list[str]:
    return revocations.load_recent()


def _operation_type(query: str, operation_name: str | None) -> OperationType | None:
    """Parsed as the schema parses (the token limit's options), into the same cache: the
    execution that follows parses nothing. None: the schema reports what is wrong."""
    try:
        document = parsed_document(query, {"max_tokens": settings.GRAPHQL_MAX_TOKENS})
        return get_operation_type(document, operation_name)
    except (GraphQLError, RuntimeError):
        return None


def _dumps(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


class Socket:
    """One WebSocket of either protocol, from the handshake to the disconnect."""

    __slots__ = ("__weakref__", "backlog", "connection_id", "legacy", "opened_at", "ops",
                 "origin", "runtime", "scope", "send", "session_key", "state", "timer",
                 "user_id")  # fmt: skip

    def __init__(self, scope: Any, send: Any) -> None:
        self.scope, self.send = scope, send
        self.legacy = False
        self.state = NEW
        # Scheme and host the client reached, for media URLs ("" until the handshake).
        self.origin = ""
        # Operations by id: a subscription's record, or the task of one still running.
        self.ops: dict[str, Any] = {}
        self.user_id: int | None = None
        self.session_key: str | None = None
        self.timer: asyncio.TimerHandle | None = None
        # Frames waiting while the client does not read (None: writes go straight out).
        self.backlog: deque[str] | None = None
        # This process's runtime, kept: a disconnect must count down where connect counted.
        self.runtime = runtime()
        # For the session's log lines (observability.logging), never a secret: a number
        # (an int, not its 32-character text, per socket), written as hex in the logs.
        self.connection_id = uuid.uuid4().int
        self.opened_at = time.monotonic()

    def log_id(self) -> str:
        return f"{self.connection_id:032x}"

    async def run(self, receive: Any) -> None:
        if (await receive())["type"] != "websocket.connect":
            return
        if not self._handshake_allowed():
            await self.send({"type": "websocket.close"})  # before accept: HTTP 403
            return
        offered = self.scope.get("subprotocols") or []
        # The client's first choice we speak, as our own string: this frame lives as long
        # as the socket, and keeps neither the request's list nor its strings.
        protocol = next((k for p in offered for k in (TRANSPORT_WS, LEGACY_WS) if p == k), None)
        del offered
        await self.send({"type": "websocket.accept", "subprotocol": protocol})
        WEBSOCKETS_OPEN.inc()
        self.runtime.memory.connection_opened()
        log_ws_event("connect", connection_id=self.log_id(), subprotocol=protocol)
        code = None
        try:
            if protocol is None:
                self.close(4406, "Subprotocol not acceptable")
            self.legacy = protocol == LEGACY_WS
            if self.state == NEW:
                timeout = float(settings.WS_CONNECTION_INIT_TIMEOUT)
                self.timer = asyncio.get_running_loop().call_later(timeout, self._init_timed_out)
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    code = message.get("code")
                    break
                if self.state != CLOSED:
                    await self._receive(message)
                del message  # not held while the socket idles
        except Exception as error:
            if is_database_unavailable(error):
                # Not 4500, which graphql-ws's client never retries: 1013 it retries.
                logger.warning("WebSocket closed: database unavailable (%s)", type(error).__name__)
                self.close(CLOSE_TRY_AGAIN_LATER, delivery.UNAVAILABLE_REASON)
            else:
                logger.exception("WebSocket handler failed")
                self.close(CLOSE_INTERNAL_ERROR, "Internal error")
        finally:
            self._shutdown(code)

    def _handshake_allowed(self) -> bool:
        headers = dict(self.scope.get("headers") or ())
        host = _text(headers.get(b"host"))
        if host is not None and not validate_host(
            split_domain_port(host)[0], settings.ALLOWED_HOSTS
        ):
            # As Django's HTTP side: a Host not served here is refused (DNS rebinding).
            return False
        if host is not None:
            self.origin = sys.intern(f"{_scheme(self.scope, headers)}://{host}")
        origin = _text(headers.get(b"origin"))
        # Browsers always send Origin; a client without one carries no ambient credentials.
        return (
            origin is None
            or headers.get(b"sec-fetch-site") == b"same-origin"
            or origin_allowed(origin, host=host)
        )

    def _init_timed_out(self) -> None:
        self.timer = None
        # graphql-transport-ws asks for connection_init in time; legacy for the ack.
        if self.state == NEW or (self.legacy and self.state == INITIALISING):
            self.close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout")

    def close(self, code: int, reason: str) -> None:
        """Closes the socket (nothing more is sent on it) and ends its subscriptions."""
        if self.state == CLOSED:
            return
        self.state = CLOSED
        self._end_operations()
        self.backlog = None
        self._write_message({"type": "websocket.close", "code": code, "reason": reason}, True)

    def sign_out(self, reason: str) -> None:
        """Its credentials ended (realtime.runtime.SignedIn, or the token's expiry)."""
        self._forget_sign_in()
        self.close(CLOSE_SIGNED_OUT, reason)

    def _shutdown(self, code: int | None) -> None:
        self.state = CLOSED
        if self.timer is not None:
            self.timer.cancel()
        self._end_operations()
        self._forget_sign_in()
        self.runtime.keep_alive.discard(self)
        WEBSOCKETS_OPEN.dec()
        self.runtime.memory.connection_closed()
        log_ws_event(
            "disconnect",
            connection_id=self.log_id(),
            close_code=code,
            duration_ms=round((time.monotonic() - self.opened_at) * 1000),
        )

    def _end_operations(self) -> None:
        ops, self.ops = self.ops, {}
        for op in ops.values():
            _end(op)

    def write(self, message: Any) -> None:
        self._write_message({"type": "websocket.send", "text": _dumps(message)})

    def next(self, live: delivery.Live, text: str) -> None:
        """A result of `live` (the JSON text realtime.delivery.render made); a record
        that ended has no sink any more."""
        if live.sink is self and self.state != CLOSED:
            kind = "data" if self.legacy else "next"
            frame = f'{{"id":{_dumps(live.op_id)},"type":"{kind}","payload":{text}}}'
            self._write_message({"type": "websocket.send", "text": frame})

    def _write_message(self, message: dict[str, Any], closing: bool = False) -> None:
        """Sends without waiting: the server's send completes at once unless the client
        stopped reading; then the frames wait in `backlog` (bounded) for a writer task."""
        if self.backlog is not None:
            if len(self.backlog) >= BACKLOG:
                self.backlog = None
                # Retried by graphql-ws's client (4500 it never retries): it resumes with `after`.
                self.close(CLOSE_TRY_AGAIN_LATER, "Not reading")
                return
            self.backlog.append(message)  # type: ignore[arg-type]
            return
        if self.state == CLOSED and not closing:
            return
        coroutine = self.send(message)
        try:
            waiting = coroutine.send(None)
        except StopIteration:
            return
        except Exception as error:  # the peer left: its disconnect is on its way
            logger.info("WebSocket send failed (%s)", type(error).__name__)
            return
        self.backlog = deque()
        self.runtime.deliveries.spawn(self._drain(coroutine, waiting), "ws-drain")

    async def _drain(self, coroutine: Any, waiting: Any) -> None:
        # Drives the suspended send to its end, then the frames queued behind it.
        try:
            while True:
                with contextlib.suppress(BaseException):
                    await waiting
                try:
                    waiting = coroutine.send(None)
                except StopIteration:
                    break
            while self.backlog:
                await self.send(self.backlog.popleft())
        except Exception as error:
            logger.info("WebSocket send failed (%s)", type(error).__name__)
        finally:
            self.backlog = None

    def keep_alive(self) -> None:
        """The keep-alive the process's rounds send (realtime.runtime.KeepAlive)."""
        self.write({"type": "ka" if self.legacy else "ping"})

    async def _receive(self, message: dict[str, Any]) -> None:
        text, data = message.get("text"), message.get("bytes")
        if len(text or "") + len(data or b"") > settings.WS_MAX_MESSAGE_BYTES:
            self.close(CLOSE_TOO_LARGE, "Message too large")
            return
        if text is None:
            self.close(CLOSE_BAD_MESSAGE, "WebSocket message type must be text")
            return
        try:
            parsed = json.loads(text)
        except ValueError:
            if not self.legacy:
                self.close(CLOSE_BAD_MESSAGE, "WebSocket message must be valid JSON")
            return
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            reason = "Messages must be JSON objects"
            self.close(CLOSE_BAD_MESSAGE, reason if self.legacy else reason + " with a type")
            return
        handler = (LEGACY if self.legacy else TRANSPORT).get(parsed["type"])
        if handler is not None:
            done = handler(self, parsed)
            if done is not None:
                await done
        elif not self.legacy:
            self.close(CLOSE_BAD_MESSAGE, f"Unknown message type: {parsed['type']}")

    async def _init(self, message: dict[str, Any]) -> None:
        if self.state != NEW:
            self.close(CLOSE_TOO_MANY, "Too many initialisation requests")
            return
        self.state = INITIALISING
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            if self.legacy:
                self.write({"type": "connection_error"})
                self.close(1000, "")
            else:
                self.close(CLOSE_BAD_MESSAGE, "Invalid connection init payload")
            return
        rejected = await self._sign_in(payload or {})
        if rejected is not None:
            code, reason = rejected
            if self.legacy:
                self.write({"type": "connection_error", "payload": {"message": reason}})
            self.close(code, "Forbidden" if code == CLOSE_FORBIDDEN else reason)
            return
        self.scope = _after_sign_in(self.scope)
        if self.state == CLOSED:
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.state = READY
        self.write({"type": "connection_ack"})
        if float(settings.WS_KEEPALIVE_INTERVAL) > 0:
            if self.legacy:
                self.write({"type": "ka"})  # as strawberry's own keep-alive: one at once
            self.runtime.keep_alive.add(self)

    async def _sign_in(self, params: dict[str, Any]) -> tuple[int, str] | None:
        """Signs the socket in; the close code and reason if it is refused."""
        user = self.scope.get("user")  # from the session cookie (websocket_application)
        signed_in = user is not None and user.is_authenticated and user.is_active
        user_id = user.pk if signed_in and not user.is_suspended else None
        context = Context(ws=self)
        # Present at all, the token alone decides, as the HTTP header does: a token in
        # connection_init wins over the session cookie, and a blank one signs nobody in.
        raw = next((v for k, v in params.items() if k.lower() == "authorization"), None)
        if raw is not None:
            user_id = None
            token = bearer_token(raw) if isinstance(raw, str) else ""
            if token is not None:
                if not revocations.is_loaded():
                    await _apart(_load_revocations())
                # Not kept in the process's token cache: a socket presents its token once.
                context_for_token(token, context, remember=False)
                user_id = context.viewer_id
                active = None if user_id is None else await _apart(_active_user(user_id))
                if context.auth_error is not None or active is None:
                    log_ws_event("rejected", connection_id=self.log_id(), reason="invalid token")
                    return CLOSE_FORBIDDEN, INVALID_TOKEN_MESSAGE
        if user_id is not None:
            key = context.session_key
            if key is not None and revocations.is_revoked(key):
                # Signed out while this socket was being let in.
                return CLOSE_FORBIDDEN, INVALID_TOKEN_MESSAGE
            if not self.runtime.signed_in.add(self, user_id, key):
                limit = settings.WS_MAX_CONNECTIONS_PER_USER
                return CLOSE_TOO_MANY, f"Too many connections: at most {limit} per user."
            self.user_id, self.session_key = user_id, key
            if context.token_expires_at is not None:
                self.runtime.expiries.add(context.token_expires_at, self)
        log_ws_event("connection_init", connection_id=self.log_id(), user_id=user_id)
        return None

    def expired(self) -> None:
        """Its access token expired (realtime.runtime.Expiries)."""
        if self.state != CLOSED:
            self.sign_out("Access token expired")

    def _forget_sign_in(self) -> None:
        if self.user_id is not None:
            self.runtime.signed_in.discard(self, self.user_id, self.session_key)

    async def _stop(self, message: dict[str, Any]) -> None:
        op = self.ops.pop(message.get("id"), None)  # type: ignore[arg-type]
        if op is not None:
            _end(op)
            if self.legacy:
                self.write({"type": "complete", "id": message.get("id")})

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if self.state != READY:
            self.close(CLOSE_UNAUTHORIZED, "Unauthorized")
            return
        op_id, payload = message.get("id"), message.get("payload")
        if not self.legacy and isinstance(payload, dict) and isinstance(op_id, str):
            try:
                resolve_subscribe_payload(payload)
            except PersistedDocumentError as exc:
                error = {"message": exc.message, "extensions": {"code": exc.code}}
                self.write({"id": op_id, "type": "error", "payload": [error]})
                return
        if not (
            isinstance(op_id, str)
            and isinstance(payload, dict)
            and isinstance(payload.get("query"), str)
        ):
            kind = "start" if self.legacy else "subscribe"
            self.close(CLOSE_BAD_MESSAGE, f"A {kind} message needs an id and a query")
            return
        if op_id in self.ops:
            if not self.legacy:
                self.close(CLOSE_DUPLICATE, f"Subscriber for {op_id} already exists")
                return
            await self._stop({"id": op_id})
        limit = int(settings.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION)
        if len(self.ops) >= limit:
            reason = f"Subscription limit reached: at most {limit} per connection."
            error = {"message": reason, "extensions": {"code": "TOO_MANY_REQUESTS"}}
            self.write({"id": op_id, "type": "error", "payload": error if self.legacy else [error]})
            return
        task = asyncio.get_running_loop().create_task(
            self._operation(op_id, payload), context=origin_context(self.origin)
        )
        self.ops[op_id] = task
        task.add_done_callback(_retrieve)

    async def _operation(self, op_id: str, payload: dict[str, Any]) -> None:
        query, name = payload["query"], payload.get("operationName")
        name = name if isinstance(name, str) else None
        variables = payload.get("variables")
        variables = variables if isinstance(variables, dict) else None
        kind = _operation_type(query, name)
        context = Context(ws=self, viewer_id=self.user_id, session_key=self.session_key)
        live = None
        try:
            if kind in (OperationType.QUERY, OperationType.MUTATION):
                # On a thread, as over HTTP: the resolvers' ORM calls are refused on the loop.
                result = await database_sync_to_async(schema.execute_sync)(
                    query, variables, context, operation_name=name
                )
                # Parse and validation failures come as a plain result, without a path.
                if (
                    result.data is None
                    and result.errors
                    and all(e.path is None for e in result.errors)
                ):
                    result = PreExecutionError(data=None, errors=result.errors)
                results: Any = _one(result)
            else:
                try:
                    document = parsed_document(query, {"max_tokens": settings.GRAPHQL_MAX_TOKENS})
                    refused = refusal(document, name, variables)
                except GraphQLError as error:
                    refused = error
                if refused is not None:
                    self._pre_execution_error(op_id, [refused])
                    return
                live = context.live = delivery.Live(self, op_id, document, name, variables or None)
                results = await schema.subscribe(query, variables, context, operation_name=name)
            first = True
            async for result in results:
                if self.ops.get(op_id) is not asyncio.current_task():
                    return
                if first and isinstance(result, PreExecutionError):
                    self._pre_execution_error(op_id, result.errors or [])
                    return
                first = False
                body: dict[str, Any] = {"data": result.data}
                if result.errors:
                    body["errors"] = [error.formatted for error in result.errors]
                self.write(
                    {"id": op_id, "type": "data" if self.legacy else "next", "payload": body}
                )
            if self.ops.get(op_id) is not asyncio.current_task():
                return
            if live is not None and live.user_id and live.sink is self:
                self.ops[op_id] = live  # subscribed: the record stands for the operation now
                return
            del self.ops[op_id]
            self.write({"id": op_id, "type": "complete"})
        finally:
            if live is not None and self.ops.get(op_id) is not live:
                delivery.end(live)  # stopped, or its socket closed, while it subscribed

    def _pre_execution_error(self, op_id: str, errors: list[GraphQLError]) -> None:
        del self.ops[op_id]
        first = errors[0]
        if not self.legacy and isinstance(first, GraphQLSyntaxError):
            self.close(CLOSE_BAD_MESSAGE, first.message)
        elif not self.legacy and isinstance(first.original_error, CannotGetOperationTypeError):
            self.close(CLOSE_BAD_MESSAGE, first.original_error.as_http_error_reason())
        elif self.legacy:
            self.write({"id": op_id, "type": "error", "payload": first.formatted})
        else:
            self.write({"id": op_id, "type": "error", "payload": [e.formatted for e in errors]})


async def _one(result: Any) -> Any:
    yield result


def _end(op: Any) -> None:
    """Ends an operation: a subscription's record, or the task of one still running."""
    if isinstance(op, delivery.Live):
        delivery.end(op)
    else:
        op.cancel()


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("WebSocket operation failed", exc_info=task.exception())


TRANSPORT: dict[str, Any] = {
    "connection_init": Socket._init,
    "ping": lambda socket, message: socket.write({"type": "pong"}),
    "pong": lambda socket, message: None,
    "subscribe": Socket._subscribe,
    "complete": Socket._stop,
}
LEGACY: dict[str, Any] = {
    "connection_init": Socket._init,
    "connection_terminate": lambda socket, message: socket.close(1000, ""),
    "start": Socket._subscribe,
    "stop": Socket._stop,
}


def _scheme(scope: Any, headers: dict[bytes, bytes]) -> str:
    """http or https, as Django's HTTP side reads it (SECURE_PROXY_SSL_HEADER included)."""
    if scope.get("scheme") == "wss":
        return "https"
    trusted = settings.SECURE_PROXY_SSL_HEADER
    if trusted:
        name, secure = trusted
        value = _text(headers.get(name.removeprefix("HTTP_").lower().replace("_", "-").encode()))
        if value is not None and value.split(",", 1)[0].strip() == secure:
            return "https"
    return "http"


def _after_sign_in(scope: Any) -> dict[str, Any]:
    """What a socket still reads of its scope once signed in: the client's address for the
    rate limits (graph/security/ratelimit.py), not the handshake's headers and the rest."""
    forwarded = tuple((k, v) for k, v in scope.get("headers") or () if k == b"x-forwarded-for")
    return {"client": scope.get("client"), "headers": forwarded}


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin1")


async def _refuse(receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.close"})


def _socket(scope: Any, receive: Any, send: Any) -> Awaitable[None]:
    if scope.get("path", "").rstrip("/") != "/graphql":
        return _refuse(receive, send)
    return Socket(scope, send).run(receive)


_with_session = AuthMiddlewareStack(_socket)
_ANONYMOUS = AnonymousUser()


def _session_wanted(scope: Any) -> bool:
    headers = dict(scope.get("headers", ()))
    # A browser always sends Origin: a handshake without one is no browser's, and the
    # cookie alone must not sign it in.
    return settings.SESSION_COOKIE_NAME.encode() in headers.get(b"cookie", b"") and origin_allowed(
        _text(headers.get(b"origin")), host=_text(headers.get(b"host"))
    )


def websocket_application(scope: Any, receive: Any, send: Any) -> Awaitable[None]:
    """Channels' session auth, only for handshakes that carry the session cookie: native
    clients sign in with a token in connection_init, and are spared the session lookup (a
    database thread hop queued behind every other socket's).

    A plain function that returns the socket's coroutine: no frame of its own (nor of a
    router's) stays alive for each socket."""
    if _session_wanted(scope):
        return _with_session(scope, receive, send)  # type: ignore[no-any-return]
    scope["user"] = _ANONYMOUS
    return _socket(scope, receive, send)


# An ASGI 3 application, though not a coroutine function (asgiref would take it for ASGI 2).
websocket_application._asgi_single_callable = True  # type: ignore[attr-defined]
