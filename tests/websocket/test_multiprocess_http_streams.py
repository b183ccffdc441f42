"""Subscriptions over HTTP across two real server processes (the Procfile's web) on one
PostgreSQL and one Redis: an event caused through one process reaches SSE and multipart
streams held by the other, unbuffered by the ASGI handler and the middleware."""

import http.client
import json
import time

import pytest

from graph.pagination import encode_cursor
from tests.websocket import servers
from tests.websocket.test_multiprocess import FOLLOW, two_servers  # noqa: F401

# Its servers run on databases of their own: the same in both passes of .ci/run.
pytestmark = pytest.mark.own_servers

QUERY = (
    "subscription ($after: String) { notificationAdded(after: $after) "
    "{ cursor notification { actor { username } } } }"
)
ACCEPTS = {
    "sse": "text/event-stream",
    "multipart": 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0,application/json',
}


def open_stream(port: int, token: str, accept: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    body = json.dumps({"query": QUERY, "variables": {"after": encode_cursor("notifications", [0])}})
    connection.request(
        "POST",
        "/graphql",
        body=body,
        headers={
            "Content-Type": "application/json",
            "Accept": accept,
            "Authorization": f"Bearer {token}",
        },
    )
    response = connection.getresponse()
    assert response.status == 200, response.read()
    return response


def read_until(response: http.client.HTTPResponse, needle: str, timeout: float = 15) -> str:
    text = ""
    deadline = time.monotonic() + timeout
    while needle not in text:
        assert time.monotonic() < deadline, text
        chunk = response.read1(4096)  # what has arrived, without waiting for more
        assert chunk, f"the stream ended: {text}"
        text += chunk.decode()
    return text


def test_an_event_caused_on_one_process_reaches_http_streams_on_the_other(
    two_servers: tuple[int, int],  # noqa: F811
) -> None:
    one, two = two_servers
    alice_token, alice_id = servers.register(one, "alice")
    bob_token, _ = servers.register(one, "bob")
    streams = {kind: open_stream(two, alice_token, accept) for kind, accept in ACCEPTS.items()}
    # Both answered with their headers and a first write (a heartbeat for multipart) before
    # any event: nothing buffers the stream.
    read_until(streams["multipart"], "{}")
    servers.graphql(one, FOLLOW, {"id": alice_id}, bob_token)
    sse = read_until(streams["sse"], "event: next")
    multipart = read_until(streams["multipart"], '"payload"')
    assert '"username":"bob"' in sse
    assert '"username":"bob"' in multipart
    for response in streams.values():
        response.close()
