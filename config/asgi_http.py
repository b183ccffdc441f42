"""HTTP under ASGI with one thread hand-off per request, to a thread that lives on.

Django's stock ASGI handler runs a sync view's request through `sync_to_async` many
times: the `request_started` receivers, every sync-capable middleware's request and
response hooks, the view, and `response.close()`, on a new thread per request (plus
one more to join it). For a sync view, this handler does what Django's WSGI handler
does, on one of HTTP_THREADS long-lived threads, in a single hand-off: the
`request_started` receivers (connection health, the DEBUG query log reset), the
middleware and the view, and `response.close()` (`request_finished`: connections back
to the pool or closed). The event loop only reads the body and writes the response.

A response that is already in memory is closed before its bytes are written, on the
thread that ran the view: its database connections are that thread's, and nothing
in the body can change. A streaming response is closed after it is sent, as Django
does. A view that is a coroutine runs through Django's own ASGI handler unchanged.

The body is read no further than its limit (`request_body_limit`): a Content-Length over
it is answered 413 before a byte is read, and a body that grows past it while it is read
(chunked, or longer than announced) is answered 413 at that point, the rest drained and
dropped, so a huge upload is never held in memory or on disk.

This is the one module that uses Django's undocumented ASGI handler internals;
docs/internals.md lists each with the pinned Django version, and
tests/config/test_asgi_http.py pins them.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import tempfile
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpResponseBase
from django.urls import Resolver404, get_resolver, set_script_prefix

from graph.accept import prefers_stream, response_content_type
from social.caches import sized_lru_cache

logger = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    """The request body is over its limit."""


# Past the limit, what a client still sends is read and dropped up to this many times the
# limit (so a client that sends everything before reading the answer gets the 413); then
# the connection is closed.
_DRAIN_FACTOR = 4


def request_body_limit(content_type: str) -> int | None:
    """The most bytes a request body of this type may have (None: no limit): a multipart
    upload one file of MEDIA_MAX_BYTES and its form fields, anything else
    DATA_UPLOAD_MAX_MEMORY_SIZE (GRAPHQL_MAX_BODY_BYTES)."""
    if content_type.lower().startswith("multipart/form-data") and settings.MEDIA_UPLOADS_ENABLED:
        return int(settings.MEDIA_MAX_BYTES) + int(settings.MEDIA_MULTIPART_OVERHEAD)
    limit: int | None = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit


def too_large_body(limit: int) -> bytes:
    """The JSON answer to a body over `limit`, in the GraphQL response shape."""
    error = {
        "message": f"The request body is larger than the limit of {limit:,} bytes.",
        "extensions": {"code": "BAD_USER_INPUT"},
    }
    return json.dumps({"data": None, "errors": [error]}).encode()


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


# Keyed by the path a client sends (`/admin/<anything>` resolves): a sized LRU, so distinct
# paths cannot grow it (docs/security.md, "Client-keyed caches").
@sized_lru_cache("HTTP_VIEW_CACHE_SIZE")
def _view_is_async(path_info: str) -> bool:
    """Whether the view of this path is a coroutine (as Django's handler decides)."""
    try:
        match = get_resolver().resolve(path_info)
    except Resolver404:
        return False
    return iscoroutinefunction(match.func)


STREAM_URLCONF = "config.stream_urls"


def _asks_for_stream(scope: dict[str, Any]) -> bool:
    """A request for a path of STREAM_URLCONF whose Accept header asks for a stream."""
    if not prefers_stream(_header(scope, b"accept")):
        return False
    try:
        get_resolver(STREAM_URLCONF).resolve(_path_info(scope))
    except Resolver404:
        return False
    return True


def _path_info(scope: dict[str, Any]) -> str:
    script_name = get_script_prefix(scope)
    path: str = scope["path"]
    return path.removeprefix(script_name) if script_name else path


class OneHopHTTPHandler(ASGIHandler):
    """Django's ASGI handler for HTTP; a sync view's request is one hand-off to a pool."""

    def __init__(self, threads: int | None = None) -> None:
        # Not ASGIHandler.__init__: it builds the middleware chain for async views.
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.threads = int(threads or settings.HTTP_THREADS)
        # Threads start on demand and stay: after a fork too, and never one per request.
        self.executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="http")
        self._async_handler: ASGIHandler | None = None
        self._stream_handler: StreamHandler | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP connections only, not {scope['type']}.")
        if _view_is_async(_path_info(scope)):
            await self.async_handler()(scope, receive, send)
            return
        if _asks_for_stream(scope):
            await self.stream_handler()(scope, receive, send)
            return
        limit = request_body_limit(_header(scope, b"content-type"))
        try:
            announced = int(_header(scope, b"content-length") or 0)
        except ValueError:
            announced = 0
        if limit is not None and announced > limit:
            await self.send_too_large(scope, send, limit)
            return
        try:
            body_file = await self.read_limited_body(receive, limit)
        except RequestAborted:
            return
        except BodyTooLarge:
            assert limit is not None
            await self.send_too_large(scope, send, limit)
            await self.drain(receive, limit * _DRAIN_FACTOR)
            return
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(self.executor, self.respond, scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:
                    await loop.run_in_executor(self.executor, response.close)
        finally:
            body_file.close()

    async def read_limited_body(self, receive: Any, limit: int | None) -> IO[bytes]:
        """The body, as Django's read_body keeps it (memory, then a temporary file), read
        no further than `limit` (raises BodyTooLarge)."""
        body_file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by the caller)
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
        )
        size = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise RequestAborted()
                chunk = message.get("body", b"")
                size += len(chunk)
                if limit is not None and size > limit:
                    raise BodyTooLarge()
                body_file.write(chunk)
                if not message.get("more_body", False):
                    break
        except BaseException:
            body_file.close()
            raise
        body_file.seek(0)
        return body_file  # type: ignore[return-value]

    async def send_too_large(self, scope: Any, send: Any, limit: int) -> None:
        body = too_large_body(limit)
        content_type = response_content_type(_header(scope, b"accept")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"vary", b"Accept"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def drain(self, receive: Any, most: int) -> None:
        """Reads and drops what the client still sends, up to `most` bytes."""
        dropped = 0
        while dropped <= most:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body", False):
                return
            dropped += len(message.get("body", b""))

    def respond(self, scope: Any, body_file: IO[bytes]) -> HttpResponseBase:
        """On a pool thread: the request from start to close, as under WSGI."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response: Any = self.get_response(request) if request is not None else error_response
        # Names the sender of `request_finished` when the response closes.
        response._handler_class = self.__class__
        if not response.streaming:
            response.close()
        return response  # type: ignore[no-any-return]

    def stream_handler(self) -> StreamHandler:
        """The handler of subscriptions over HTTP (built on first use)."""
        if self._stream_handler is None:
            self._stream_handler = StreamHandler(self)
        return self._stream_handler

    def async_handler(self) -> ASGIHandler:
        """Django's own handler, for coroutine views (built on first use)."""
        if self._async_handler is None:
            self._async_handler = ASGIHandler()
        return self._async_handler


class StreamStalled(Exception):
    """A client stopped reading its stream: one write waited HTTP_STREAM_SEND_TIMEOUT."""


# The body limit of the request a StreamHandler call reads (each request is a task).
_stream_body_limit: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "stream_body_limit", default=None
)


class StreamHandler(ASGIHandler):
    """Django's async handler for subscriptions over HTTP (graph/http_streams.py): the body
    read within its limit as for every request, the stream's URLconf, and a client that
    stops reading dropped after one write waits HTTP_STREAM_SEND_TIMEOUT, so what is
    buffered for it never grows past one write (the broker's queue is bounded too)."""

    def __init__(self, http: OneHopHTTPHandler) -> None:
        super().__init__()
        self.http = http

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        limit = request_body_limit(_header(scope, b"content-type"))
        try:
            announced = int(_header(scope, b"content-length") or 0)
        except ValueError:
            announced = 0
        if limit is not None and announced > limit:
            await self.http.send_too_large(scope, send, limit)
            return
        _stream_body_limit.set(limit)
        try:
            await super().__call__(scope, receive, send)
        except BodyTooLarge:
            assert limit is not None
            await self.http.send_too_large(scope, send, limit)
            await self.http.drain(receive, limit * _DRAIN_FACTOR)

    async def read_body(self, receive: Any) -> IO[bytes]:
        return await self.http.read_limited_body(receive, _stream_body_limit.get())

    def create_request(self, scope: Any, body_file: Any) -> tuple[Any, Any]:
        request, error_response = super().create_request(scope, body_file)
        if request is not None:
            request.urlconf = STREAM_URLCONF
        return request, error_response

    async def send_response(self, response: Any, send: Any) -> None:
        if not response.streaming:
            await super().send_response(response, send)
            return
        timeout = float(settings.HTTP_STREAM_SEND_TIMEOUT)

        async def send_or_drop(message: Any) -> None:
            try:
                await asyncio.wait_for(send(message), timeout)
            except TimeoutError as exc:
                raise StreamStalled() from exc

        try:
            await super().send_response(response, send_or_drop)
        except StreamStalled:
            # Returning with the response unfinished makes the server close the connection.
            logger.info("A subscription stream's client stopped reading; dropped")
        finally:
            # Django closes only its own wrapper of the content: the subscription under it
            # would otherwise wait for the garbage collector (a client gone, or stalled).
            aclose = getattr(response, "aclose_stream", None)
            if aclose is not None:
                await aclose()
