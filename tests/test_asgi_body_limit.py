"""The body limit is enforced while the ASGI handler reads the body (config/asgi_http.py):
an announced length over it is refused unread, a body growing past it is cut off there."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from config import asgi_http
from config.asgi_http import OneHopHTTPHandler

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def handler(settings: Any) -> Iterator[OneHopHTTPHandler]:
    settings.MEDIA_MAX_BYTES = 100_000
    settings.MEDIA_MULTIPART_OVERHEAD = 1_000
    asgi_http._view_is_async.cache_clear()
    app = OneHopHTTPHandler(threads=1)
    yield app
    app.executor.shutdown(wait=True)


def _scope(content_type: bytes, length: int | None, accept: bytes = b"") -> dict[str, Any]:
    headers = [(b"host", b"testserver"), (b"content-type", content_type), (b"accept", accept)]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }


async def _run(
    app: OneHopHTTPHandler, scope: dict[str, Any], chunks: int, size: int
) -> tuple[list[dict[str, Any]], int]:
    """Offers `chunks` chunks of `size` bytes; returns what was sent and chunks taken."""
    taken = 0

    async def receive() -> dict[str, Any]:
        nonlocal taken
        taken += 1
        return {"type": "http.request", "body": b"x" * size, "more_body": taken < chunks}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent, taken


MULTIPART = b"multipart/form-data; boundary=x"


async def test_an_announced_length_over_the_limit_is_refused_unread(
    handler: OneHopHTTPHandler,
) -> None:
    sent, taken = await _run(handler, _scope(MULTIPART, 1024**3), chunks=16384, size=65536)
    assert taken == 0
    assert sent[0]["status"] == 413
    error = json.loads(sent[1]["body"])["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "101,000 bytes" in error["message"]


async def test_a_body_growing_past_the_limit_is_cut_off_and_the_rest_dropped(
    handler: OneHopHTTPHandler,
) -> None:
    # 1 GB offered without a length: answered once past 101,000 bytes; at most four times
    # the limit more is read and dropped, then the handler stops reading.
    sent, taken = await _run(handler, _scope(MULTIPART, None), chunks=16384, size=65536)
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert taken * 65536 < 6 * 101_000


async def test_json_bodies_keep_their_own_smaller_limit(
    handler: OneHopHTTPHandler, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    sent, taken = await _run(handler, _scope(b"application/json", None), chunks=1000, size=4096)
    assert sent[0]["status"] == 413
    assert b"10,000 bytes" in sent[1]["body"]
    assert taken * 4096 < 6 * 10_000


@pytest.mark.parametrize("length", [200_000, None])
async def test_the_413_is_a_graphql_response_for_a_client_that_takes_one(
    handler: OneHopHTTPHandler, length: int | None
) -> None:
    # Apollo Client 4 reads a 4xx body as a GraphQL response only under this type.
    accept = b"application/graphql-response+json,application/json;q=0.9"
    sent, _ = await _run(handler, _scope(MULTIPART, length, accept), chunks=100, size=65536)
    assert sent[0]["status"] == 413
    assert (b"content-type", b"application/graphql-response+json") in sent[0]["headers"]
    sent, _ = await _run(handler, _scope(MULTIPART, length), chunks=100, size=65536)
    assert (b"content-type", b"application/json") in sent[0]["headers"]
