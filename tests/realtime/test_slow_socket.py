"""A client that stops reading while events keep coming: its frames wait in a bounded
backlog, and past it the socket closes with 1013 (Try Again Later), which graphql-ws's
client retries, resuming with `after`; not with 4500, on which it gives up for good."""

import asyncio
import json
from typing import Any

import pytest

from realtime import transport
from realtime.runtime import Runtime
from tests.websocket import fixtures
from tests.websocket.client import until

live_runtime = fixtures.live_runtime
_ws_settings = fixtures._ws_settings


class StalledClient:
    """The ASGI side of a socket whose client stops reading once told to: the server's
    sends then wait, as uvicorn's do when the client's TCP window is full."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sent: list[dict[str, Any]] = []
        self.reading = True

    async def receive(self) -> dict[str, Any]:
        return await self.inbox.get()

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)
        if message["type"] == "websocket.send" and not self.reading:
            await asyncio.Event().wait()

    def text(self, message: dict[str, Any]) -> None:
        self.inbox.put_nowait({"type": "websocket.receive", "text": json.dumps(message)})

    def closes(self) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["type"] == "websocket.close"]


async def test_a_socket_whose_client_stopped_reading_closes_with_a_code_it_retries(
    live_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "BACKLOG", 5)
    client = StalledClient()
    scope = {"type": "websocket", "path": "/graphql", "subprotocols": ["graphql-transport-ws"]}
    socket = transport.Socket(scope, client.send)
    running = asyncio.ensure_future(socket.run(client.receive))
    client.inbox.put_nowait({"type": "websocket.connect"})
    client.text({"type": "connection_init", "payload": {}})
    await until(lambda: any('"connection_ack"' in m.get("text", "") for m in client.sent))

    client.reading = False
    for _ in range(20):  # each answered with a pong it does not read
        client.text({"type": "ping"})
    await until(lambda: bool(client.closes()))
    [close] = client.closes()
    assert (close["code"], close["reason"]) == (1013, "Not reading")
    assert socket.backlog is None or len(socket.backlog) <= 5

    client.inbox.put_nowait({"type": "websocket.disconnect", "code": 1013})
    await asyncio.wait_for(running, 5)
