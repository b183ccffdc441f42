"""The application's sockets (realtime/transport.py) on a real uvicorn with the Procfile's
protocol class (realtime/server_ws.py), driven by the `websockets` client."""

import asyncio
import json
import resource
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from realtime.runtime import current_runtime
from realtime.transport import websocket_application
from tests.procfile import web_command
from tests.realtime.servers import LEAN, ServerThread

# Enough to see that nothing waits on them (1,000 took 2-5 s on the shared 2-core machine).
SILENT_SOCKETS = 500


@pytest.fixture(autouse=True)
def _socket_settings(settings: Any) -> None:
    settings.WS_KEEPALIVE_INTERVAL = 0
    settings.WS_CONNECTION_INIT_TIMEOUT = 0.5


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    # A plain function returning the socket's coroutine (no frame of its own): ASGI 3.
    running = ServerThread(websocket_application, interface="asgi3").start()
    yield running
    assert running.loop is not None
    live = running.call(current_runtime)
    if live is not None:
        asyncio.run_coroutine_threadsafe(live.close(), running.loop).result(5)
    running.stop()


def test_the_procfile_serves_sockets_with_the_lean_protocol_class() -> None:
    assert f"--ws {LEAN} " in web_command()
    assert "--ws-per-message-deflate false" in web_command()


async def test_a_graphql_transport_ws_round_trip(server: ServerThread) -> None:
    async with connect(f"{server.url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "graphql-transport-ws"
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}
        # Answered on the event loop: a query's hop to asgiref's thread-sensitive executor
        # hung in this test process after tests/websocket had run (embedded settings);
        # queries over a socket are covered there and by the Procfile server's tests.
        query = "subscription { noSuchField }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        error = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert (error["id"], error["type"]) == ("1", "error")
        assert "noSuchField" in error["payload"][0]["message"]
        # Signed in (anonymously): the socket keeps the client's address, not the scope.
        (protocol,) = server.websockets()
        assert protocol.scope is None


async def test_a_bad_message_closes_with_the_protocols_code(server: ServerThread) -> None:
    async with connect(f"{server.url}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send("not json")
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4400


async def test_sockets_that_never_initialise_are_closed_by_the_init_timeout(
    server: ServerThread,
) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    url = f"{server.url}/graphql"
    opened = await asyncio.gather(
        *(connect(url, subprotocols=["graphql-transport-ws"]) for _ in range(SILENT_SOCKETS))  # type: ignore[list-item]
    )

    async def closed_code(ws: Any) -> int | None:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        return closed.value.rcvd.code if closed.value.rcvd is not None else None

    codes = await asyncio.gather(*(closed_code(ws) for ws in opened))
    assert set(codes) == {4408}
    deadline = time.monotonic() + 5
    while server.websockets():
        assert time.monotonic() < deadline, "sockets left on the server"
        await asyncio.sleep(0.05)
