"""HTTP under ASGI in one hand-off to a long-lived thread (config/asgi_http.py), keeping
what Django's per-request receivers do; and the Django internals that handler relies on."""

import asyncio
import inspect
import json
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.core import signals
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections, connection, reset_queries
from django.http import HttpResponse, HttpResponseBase, JsonResponse
from django.test import override_settings
from django.urls import path

from config import asgi_http
from config.asgi_http import OneHopHTTPHandler

pytestmark = pytest.mark.django_db(transaction=True)


async def _async_view(request: Any) -> JsonResponse:
    return JsonResponse({"thread": threading.get_ident()})


def _sync_view(request: Any) -> JsonResponse:
    return JsonResponse({"thread": threading.get_ident()})


urlpatterns = [path("async", _async_view), path("sync", _sync_view)]


async def call(
    app: Any, path_: str, *, method: str = "GET", body: bytes = b"", query: bytes = b""
) -> tuple[dict[str, Any], bytes, list[dict[str, Any]]]:
    """One ASGI HTTP request; the start message, the body and every message sent."""
    scope = {
        "type": "http",
        "method": method,
        "path": path_,
        "root_path": "",
        "scheme": "http",
        "query_string": query,
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    content = b"".join(m.get("body", b"") for m in sent[1:])
    return start, content, sent


@pytest.fixture
def handler() -> Iterator[OneHopHTTPHandler]:
    asgi_http._view_is_async.cache_clear()  # type: ignore[attr-defined]
    app = OneHopHTTPHandler(threads=2)
    yield app
    app.executor.shutdown(wait=True)
    asgi_http._view_is_async.cache_clear()  # type: ignore[attr-defined]


@pytest.fixture
def signals_seen() -> Iterator[list[tuple[str, int, Any]]]:
    """(signal, thread, what) for request_started and request_finished, in order."""
    seen: list[tuple[str, int, Any]] = []

    def started(sender: Any, **kwargs: Any) -> None:
        seen.append(("started", threading.get_ident(), sender))

    def finished(sender: Any, **kwargs: Any) -> None:
        # Connected after Django's close_old_connections, so it runs after it. Django
        # never closes SQLite's in-memory test database.
        kept = connection.vendor == "sqlite" and connection.is_in_memory_db()  # type: ignore[attr-defined]
        seen.append(("finished", threading.get_ident(), None if kept else connection.connection))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


GRAPHQL_BODY = json.dumps({"query": "{ publicFeed(first: 1) { edges { cursor } } }"}).encode()


async def test_a_graphql_request_runs_through_the_middleware_and_the_view(
    handler: OneHopHTTPHandler,
) -> None:
    start, body, _ = await call(handler, "/graphql", method="POST", body=GRAPHQL_BODY)
    assert start["status"] == 200
    assert json.loads(body) == {"data": {"publicFeed": {"edges": []}}}
    headers = dict(start["headers"])
    assert headers[b"X-Request-ID"]  # RequestLogMiddleware ran
    assert headers[b"X-Frame-Options"] == b"DENY"  # and the rest of MIDDLEWARE


async def test_the_receivers_view_and_close_share_one_long_lived_thread(
    handler: OneHopHTTPHandler, signals_seen: list[tuple[str, int, Any]]
) -> None:
    views = []
    for _ in range(6):
        with override_settings(ROOT_URLCONF=__name__):
            _, body, _ = await call(handler, "/sync")
        views.append(json.loads(body)["thread"])
    assert [name for name, _, _ in signals_seen] == ["started", "finished"] * 6
    starts = [thread for name, thread, _ in signals_seen if name == "started"]
    closes = [thread for name, thread, _ in signals_seen if name == "finished"]
    # Each request from start to close on one thread; the threads are the pool's own.
    assert starts == views == closes
    assert len(set(views)) <= handler.threads
    assert threading.get_ident() not in views


async def test_the_database_connection_is_released_when_the_request_closes(
    handler: OneHopHTTPHandler, signals_seen: list[tuple[str, int, Any]]
) -> None:
    for _ in range(2):
        start, _, _ = await call(handler, "/graphql", method="POST", body=GRAPHQL_BODY)
        assert start["status"] == 200
    # close_old_connections ran on the view's thread: closed, or handed back to the pool.
    assert [what for name, _, what in signals_seen if name == "finished"] == [None, None]
    assert [s for name, _, s in signals_seen if name == "started"] == [OneHopHTTPHandler] * 2


async def test_the_debug_query_log_starts_empty_for_each_request(
    handler: OneHopHTTPHandler,
) -> None:
    logged: list[int] = []

    def count(sender: Any, **kwargs: Any) -> None:
        logged.append(len(connection.queries))

    # Before close_old_connections, which closes the connection the log belongs to.
    signals.request_finished.disconnect(close_old_connections)
    signals.request_finished.connect(count)
    signals.request_finished.connect(close_old_connections)
    try:
        with override_settings(DEBUG=True):
            for _ in range(3):
                await call(handler, "/graphql", method="POST", body=GRAPHQL_BODY)
    finally:
        signals.request_finished.disconnect(count)
    assert len(logged) == 3
    assert logged[0] > 0
    assert logged == [logged[0]] * 3, "reset_queries ran at each request_started"


async def test_a_streaming_response_is_closed_after_it_is_sent(
    handler: OneHopHTTPHandler, signals_seen: list[tuple[str, int, Any]]
) -> None:
    order: list[str] = []

    def finished(sender: Any, **kwargs: Any) -> None:
        order.append("closed")

    signals.request_finished.connect(finished)
    try:
        start, body, sent = await call(handler, "/static/graphiql/favicon.svg")
    finally:
        signals.request_finished.disconnect(finished)
    assert start["status"] == 200
    assert body.startswith(b"<svg")
    assert order == ["closed"]
    assert len(sent) >= 2


async def test_a_coroutine_view_runs_through_djangos_own_handler(
    handler: OneHopHTTPHandler,
) -> None:
    with override_settings(ROOT_URLCONF=__name__):
        start, body, _ = await call(handler, "/async")
    assert start["status"] == 200
    assert json.loads(body)["thread"] == threading.get_ident(), "on the event loop"
    assert handler._async_handler is not None


async def test_a_request_that_is_not_found_or_refused_still_closes(
    handler: OneHopHTTPHandler, signals_seen: list[tuple[str, int, Any]]
) -> None:
    start, _, _ = await call(handler, "/nowhere")
    assert start["status"] == 404
    assert [name for name, _, _ in signals_seen] == ["started", "finished"]


async def test_only_http_is_served(handler: OneHopHTTPHandler) -> None:
    async def nothing() -> None:
        raise AssertionError

    with pytest.raises(ValueError, match="HTTP connections only"):
        await handler({"type": "websocket"}, nothing, nothing)


# --- The Django internals config/asgi_http.py uses (docs/internals.md) ------------------


def test_django_is_the_version_these_internals_were_checked_against() -> None:
    assert django.__version__ == "5.2.19", "re-check docs/internals.md, then update the pin"


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_asgi_handler_methods_keep_their_signatures() -> None:
    assert _parameters(ASGIHandler.read_body) == ["self", "receive"]
    assert _parameters(ASGIHandler.create_request) == ["self", "scope", "body_file"]
    assert _parameters(ASGIHandler.send_response) == ["self", "response", "send"]
    assert _parameters(get_script_prefix) == ["scope"]
    assert _parameters(BaseHandler.load_middleware) == ["self", "is_async"]
    assert inspect.iscoroutinefunction(ASGIHandler.read_body)
    assert inspect.iscoroutinefunction(ASGIHandler.send_response)


def test_asgi_handler_init_only_builds_the_async_middleware_chain() -> None:
    # OneHopHTTPHandler skips it and builds the sync chain instead.
    source = inspect.getsource(ASGIHandler.__init__)
    body = [line.strip() for line in source.splitlines()[1:] if line.strip()]
    assert body == ["super().__init__()", "self.load_middleware(is_async=True)"]


def test_create_request_answers_a_request_or_an_error_response() -> None:
    import io

    scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    request, error = ASGIHandler.create_request(ASGIHandler, scope, io.BytesIO())  # type: ignore[arg-type]
    assert error is None
    assert request is not None
    assert request.path == "/x"


def test_a_response_closes_with_request_finished_from_its_handler_class() -> None:
    received: list[Any] = []

    def finished(sender: Any, **kwargs: Any) -> None:
        received.append(sender)

    response = HttpResponse(b"x")
    assert "_handler_class" in vars(HttpResponseBase())
    response._handler_class = OneHopHTTPHandler  # type: ignore[attr-defined]
    signals.request_finished.connect(finished)
    try:
        response.close()
    finally:
        signals.request_finished.disconnect(finished)
    assert received == [OneHopHTTPHandler]


def test_djangos_request_receivers_are_the_ones_the_handler_runs_on_its_thread() -> None:
    # What a sync request_started / request_finished does that must still happen.
    def receivers(signal: Any) -> list[Any]:
        found = [entry[1] for entry in signal.receivers]
        return [r() if isinstance(r, weakref.ReferenceType) else r for r in found]

    started = receivers(signals.request_started)
    finished = receivers(signals.request_finished)
    assert reset_queries in started
    assert close_old_connections in started
    assert close_old_connections in finished
