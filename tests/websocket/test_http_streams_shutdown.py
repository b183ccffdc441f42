"""A server process told to stop (SIGTERM, as a deploy or a scale-down does) ends its
subscription streams over HTTP at once, each with a retryable SERVICE_UNAVAILABLE error and
a proper end (SSE `complete`, the multipart closing boundary), as it closes its sockets with
1012: uvicorn alone left them open until its graceful timeout, then cut them mid-stream."""

import os
import signal
from collections.abc import Iterator

import pytest

from tests.services import redis_url
from tests.websocket import servers
from tests.websocket.test_multiprocess import _server_url
from tests.websocket.test_multiprocess_http_streams import ACCEPTS, open_stream, read_until

pytestmark = pytest.mark.own_servers


@pytest.fixture
def one_server() -> Iterator[tuple[int, object]]:
    with servers.throwaway_database(_server_url()) as database_url:
        env = servers.server_env(database_url, redis_url())
        servers.migrate(env)
        port = servers.free_port()
        process = servers.start_web(env, port)
        try:
            servers.wait_ready(process, port)
            yield port, process
        finally:
            servers.stop(process)


def test_sigterm_ends_open_streams_with_a_retryable_error(
    one_server: tuple[int, object],
) -> None:
    port, process = one_server
    token, _ = servers.register(port, "alice")
    streams = {kind: open_stream(port, token, accept) for kind, accept in ACCEPTS.items()}
    read_until(streams["multipart"], "{}")  # both streaming: the first heartbeat arrived
    os.killpg(process.pid, signal.SIGTERM)  # type: ignore[attr-defined]

    sse = streams["sse"].read().decode()  # to the end of the response
    assert "event: complete" in sse, sse
    assert '"code":"SERVICE_UNAVAILABLE"' in sse.replace(" ", ""), sse
    multipart = streams["multipart"].read().decode()
    assert '"SERVICE_UNAVAILABLE"' in multipart, multipart
    assert multipart.rstrip().endswith("--graphql--"), multipart
    assert process.wait(timeout=30) is not None  # type: ignore[attr-defined]
