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

This is the one module that uses Django's undocumented ASGI handler internals;
docs/internals.md lists each with the pinned Django version, and
tests/config/test_asgi_http.py pins them.
"""

from __future__ import annotations

import asyncio
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

from social.caches import sized_lru_cache


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

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django serves HTTP connections only, not {scope['type']}.")
        if _view_is_async(_path_info(scope)):
            await self.async_handler()(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
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

    def async_handler(self) -> ASGIHandler:
        """Django's own handler, for coroutine views (built on first use)."""
        if self._async_handler is None:
            self._async_handler = ASGIHandler()
        return self._async_handler
