"""Subscriptions over HTTP on /graphql, for clients that cannot hold a WebSocket.

Two protocols, chosen by the request's Accept header (config/asgi_http.py routes them here):
- `multipart/mixed;subscriptionSpec=1.0`: the incremental-delivery multipart protocol that
  Apollo Client's HttpLink speaks for subscriptions (parts `{"payload": {...}}`, heartbeats
  `{}`);
- `text/event-stream`: the graphql-sse protocol's distinct-connections mode (`event: next`,
  `event: complete`, comment heartbeats).
Strawberry's own transports frame both; the subscription runs exactly as over WebSocket
(graph/notifications/subscriptions.py, realtime/): the same schema, limits,
validation, persisted documents, `after` resume and visibility.

Credentials as on the rest of /graphql (graph/auth.py): a bearer token, or the session
cookie with the CSRF token on POST; a cookie GET streams only same-site (Sec-Fetch-Site) or
from an allowed origin, so a page elsewhere cannot read a private stream. A stream ends (an
UNAUTHENTICATED error, then complete) when its token expires or its session is signed out,
counts against WS_MAX_CONNECTIONS_PER_USER as a socket does, and only subscriptions
stream: a query or a mutation gets an error, never runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import weakref
from collections.abc import AsyncGenerator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError
from strawberry.django.views import AsyncGraphQLView, TemporalHttpResponse
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graph.accept import TRANSPORTS, stream_transport
from graph.auth import INVALID_TOKEN_MESSAGE, context_for_request, needs_csrf_check
from graph.context import Context
from graph.errors import BAD_USER_INPUT, FORBIDDEN, UNAUTHENTICATED
from graph.internals import stream_frames
from graph.origins import origin_allowed
from graph.security.codes import SERVICE_UNAVAILABLE
from graph.views import (
    GraphQLView,
    _csrf_failure,
    error_response,
    failure_response,
    operation_type,
    request_origin_of,
    typed_for_client,
)
from realtime.runtime import runtime
from social import revocations
from social.media.storage import origin_context

TOO_MANY = "TOO_MANY_REQUESTS"
RESTARTING = "The server is restarting"


class _Seat:
    """A stream's place among its user's connections (WS_MAX_CONNECTIONS_PER_USER) and
    among the signed-in streams; given back once, however the stream ends."""

    def __init__(self, context: Context, session_key: str | None) -> None:
        self.user_id = context.viewer_id
        self.session_key = session_key
        self.ended = asyncio.Event()
        self.reason = "Signed out"
        self.held = False
        # Kept: the seat may be given back from a finalizer, outside the event loop.
        self.runtime = runtime()
        _open_seats.add(self)
        if self.user_id is None:
            return
        self.held = self.runtime.signed_in.add(self, self.user_id, session_key)
        if self.held and context.token_expires_at is not None:
            self.runtime.expiries.add(context.token_expires_at, self)

    def sign_out(self, reason: str) -> None:
        """Its session was signed out (realtime.runtime.SignedIn)."""
        self.ended.set()

    def expired(self) -> None:
        """Its access token expired (realtime.runtime.Expiries)."""
        self.reason = "Access token expired"
        self.ended.set()

    def restarting(self) -> None:
        """The server shuts down (SIGTERM): the stream ends now, with a retryable error."""
        self.reason = RESTARTING
        self.ended.set()

    def release(self) -> None:
        _open_seats.discard(self)
        if not self.held or self.user_id is None:
            return
        self.held = False
        self.runtime.signed_in.discard(self, self.user_id, self.session_key)


# This process's open streams, ended at shutdown: uvicorn tells a streaming response
# nothing, waits for it until its graceful timeout, then cuts it mid-stream.
_open_seats: weakref.WeakSet[_Seat] = weakref.WeakSet()
_exit_hooked = False


def _end_streams_at_exit() -> None:
    """Chains the server's SIGTERM and SIGINT handlers (uvicorn's, set with signal.signal)
    with one that ends this process's streams on the event loop; once, from the main thread,
    where the server's loop and signal handlers run."""
    global _exit_hooked
    if _exit_hooked or threading.current_thread() is not threading.main_thread():
        return
    _exit_hooked = True
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue  # no server's handler to chain: the default ends the process anyway

        def handler(number: int, frame: Any, previous: Any = previous) -> None:
            loop.call_soon_threadsafe(_end_open_streams)
            previous(number, frame)

        signal.signal(signum, handler)


def _end_open_streams() -> None:
    for seat in list(_open_seats):
        seat.restarting()


def _signed_out_result(reason: str) -> ExecutionResult:
    if reason == RESTARTING:
        error = GraphQLError(
            f"{reason}: subscribe again (with `after`, to miss nothing).",
            extensions={"code": SERVICE_UNAVAILABLE},
        )
        return ExecutionResult(data=None, errors=[error])
    error = GraphQLError(
        f"{reason}: subscribe again with fresh credentials (and `after`, to miss nothing).",
        extensions={"code": UNAUTHENTICATED},
    )
    return ExecutionResult(data=None, errors=[error])


async def _refused(message: str) -> AsyncGenerator[ExecutionResult, None]:
    """A bad bearer token: one UNAUTHENTICATED error with its reason, as on the JSON path
    (graph/extensions.py), before anything is subscribed."""
    yield ExecutionResult(
        data=None, errors=[GraphQLError(message, extensions={"code": UNAUTHENTICATED})]
    )


async def _next(iterator: Any) -> Any:
    return await iterator.__anext__()


async def _until_signed_out(results: Any, seat: _Seat, origin: str) -> AsyncGenerator[Any, None]:
    """The subscription's results until its credentials end; then an UNAUTHENTICATED error.
    Each is made where relative media URLs take the request's `origin`."""
    iterator = results.__aiter__()
    ended = asyncio.ensure_future(seat.ended.wait())
    following: asyncio.Future[Any] | None = None
    context = origin_context(origin)
    loop = asyncio.get_running_loop()
    try:
        while True:
            following = loop.create_task(_next(iterator), context=context)
            await asyncio.wait({following, ended}, return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                yield _signed_out_result(seat.reason)
                return
            try:
                result = following.result()
            except StopAsyncIteration:
                return
            following = None
            yield result
    finally:
        ended.cancel()
        seat.release()
        # Ended while it waited for an event (signed out, or the client left): stop it.
        if following is not None and not following.done():
            following.cancel()
            with contextlib.suppress(BaseException):
                await following
        with contextlib.suppress(Exception):
            await iterator.aclose()


def _may_stream_with_cookie(request: HttpRequest) -> bool:
    """A cookie GET (no CSRF token possible) streams only to a page of ours."""
    if request.headers.get("Sec-Fetch-Site") in ("same-origin", "none"):
        return True
    return origin_allowed(request.headers.get("Origin"), host=request.get_host())


class StreamResponse(StreamingHttpResponse):
    """A stream whose content the server closes when it ends however it ends
    (config/asgi_http.py's StreamHandler), not only Django's wrapper of it."""

    def __init__(self, content: AsyncGenerator[str, None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.content_generator = content

    async def aclose_stream(self) -> None:
        await self.content_generator.aclose()


@method_decorator(csrf_exempt, name="dispatch")
class StreamingGraphQLView(AsyncGraphQLView):
    """/graphql for a request that asks for a stream (config/stream_urls.py)."""

    protocols = (MULTIPART_SUBSCRIPTION_PROTOCOL, GRAPHQL_SSE_PROTOCOL)
    stream_transport_classes_by_protocol = TRANSPORTS
    graphql_ide = None

    async def dispatch(  # type: ignore[override]
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        return typed_for_client(request, await self._stream(request))

    async def _stream(self, request: HttpRequest) -> HttpResponseBase:
        transport = stream_transport(request.headers.get("Accept", ""))
        if transport is None or request.method not in ("GET", "POST"):
            return error_response(
                "Streams are GET or POST with Accept: text/event-stream or "
                'multipart/mixed;subscriptionSpec="1.0".',
                "BAD_REQUEST",
                406 if transport is None else 405,
            )
        json_view = GraphQLView(schema=self.schema)
        try:
            prepared = await sync_to_async(self._prepare)(request, json_view)
        except Exception as exc:
            return failure_response(request, exc)
        if isinstance(prepared, HttpResponseBase):
            return prepared
        data, context, session_key = prepared
        _end_streams_at_exit()
        seat = _Seat(context, session_key)
        if context.viewer_id is not None and not seat.held:
            limit = settings.WS_MAX_CONNECTIONS_PER_USER
            return error_response(f"Too many connections: at most {limit} per user.", TOO_MANY, 429)
        try:
            results: Any = _refused(context.auth_error) if context.auth_error else None
            results = results or await self.schema.stream(
                data.query,
                variable_values=data.variables,
                context_value=context,
                operation_name=data.operation_name,
                operation_extensions=data.extensions,
                allowed_operation_types=transport.allowed_operation_types(
                    OperationType.from_http(request.method)  # type: ignore[arg-type]
                ),
            )
        except BaseException:
            seat.release()
            raise
        guarded: Any = _until_signed_out(results, seat, request_origin_of(request))
        stream = stream_frames(self, request, guarded, transport)
        response = StreamResponse(stream(), headers=transport.headers)
        # A stream cancelled before its first byte never runs its `finally`.
        weakref.finalize(response, seat.release)
        return response

    def _prepare(
        self, request: HttpRequest, json_view: Any
    ) -> HttpResponseBase | tuple[GraphQLRequestData, Context, str | None]:
        """On a thread: the CSRF rule, the request's operation and whose it is."""
        cookie = needs_csrf_check(request)
        if cookie and request.method == "GET" and not _may_stream_with_cookie(request):
            return error_response(
                "A stream signed in by the session cookie is POST with the X-CSRFToken "
                "header from another site; or authenticate with a Bearer token.",
                FORBIDDEN,
                403,
            )
        if cookie and request.method == "POST":
            failure = _csrf_failure(request)
            if failure is not None:
                return failure
        if not revocations.is_loaded():
            revocations.load_recent()
        data = json_view.parse_http_body(json_view.request_adapter_class(request))
        kind = operation_type(data)
        if isinstance(kind, GraphQLError):
            return error_response(kind.message, BAD_USER_INPUT, 400)
        if kind not in (None, OperationType.SUBSCRIPTION):
            return error_response(
                "Only subscriptions stream: send a query or a mutation with "
                "Accept: application/json.",
                BAD_USER_INPUT,
                400,
            )
        context = context_for_request(
            request, Context(request=request, response=TemporalHttpResponse())
        )
        # Read now, on this thread: a stream lives long, so a closed account never opens one.
        if context.viewer_id is not None and context.viewer is None:
            context.set_viewer(None)
            context.auth_error = INVALID_TOKEN_MESSAGE
        session_key = context.session_key
        if cookie and context.viewer_id is not None:
            session_key = request.session.session_key
        return data, context, session_key
