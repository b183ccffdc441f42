"""A GraphQL-over-WebSocket test client on Channels' WebsocketCommunicator, both protocols."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

from channels.testing import WebsocketCommunicator

from realtime.broker import Broker
from realtime.transport import websocket_application

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
PROTOCOLS = (TRANSPORT_WS, LEGACY_WS)
# Keep-alive noise that tests skip over.
_NOISE = {"ping", "pong", "ka"}


class WSClient:
    def __init__(
        self,
        protocol: str = TRANSPORT_WS,
        *,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.protocol = protocol
        self.communicator = WebsocketCommunicator(
            websocket_application, "/graphql", subprotocols=[protocol], headers=headers or []
        )
        self.connected = False

    async def open(self) -> None:
        connected, _ = await self.communicator.connect()
        assert connected, "the handshake was refused"
        self.connected = True

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        """Opens the socket and sends connection_init; returns the server's answer."""
        if not self.connected:
            await self.open()
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def connect(self, token: str | None = None) -> None:
        answer = await self.init({"authorization": f"Bearer {token}"} if token else {})
        assert answer["type"] == "connection_ack", answer

    async def send(self, message: Any) -> None:
        await self.communicator.send_to(text_data=json.dumps(message))

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        while True:
            output = await self.communicator.receive_output(timeout)
            if output["type"] == "websocket.close":
                return {
                    "type": "closed",
                    "code": output.get("code"),
                    "reason": output.get("reason"),
                }
            message = json.loads(output["text"])
            if message.get("type") not in _NOISE:
                return message

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send(
            {"id": op_id, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )

    async def stop(self, op_id: str) -> None:
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self.send({"id": op_id, "type": kind})

    async def next_data(self, op_id: str | None = None, timeout: float = 3) -> dict[str, Any]:
        """The payload of the next result (next/data), asserting it has no errors."""
        message = await self.receive(timeout)
        assert message["type"] in {"next", "data"}, message
        if op_id is not None:
            assert message["id"] == op_id, message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]

    async def nothing(self, timeout: float = 0.3) -> bool:
        """True when no message arrives within `timeout` (keep the app running: a timed-out
        receive_output would cancel it)."""
        if await self.communicator.receive_nothing(timeout):
            return True
        raise AssertionError(f"unexpected message {await self.receive()}")

    async def closed_with(self, timeout: float = 3) -> int | None:
        """Waits for the server to close; the close code."""
        while True:
            message = await self.receive(timeout)
            if message["type"] == "closed":
                return message["code"]

    async def close(self) -> None:
        await self.communicator.disconnect()


async def until(condition: Callable[[], bool], timeout: float = 5) -> None:
    """Waits until `condition()` holds (a subscription registered, a socket gone...)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out waiting for a condition"
        await asyncio.sleep(0.01)


async def subscribed(broker: Broker, count: int) -> None:
    """Waits until `count` subscriptions are registered with the broker, it is ready, and
    they are live: their start (a replay, or the resync of a broker that became ready after
    they registered) is done, so it cannot read what the test commits next."""

    def live() -> bool:
        listeners = [x for subscribers in broker.subscriptions.values() for x in subscribers]
        started = all(x.pending is None for x in listeners)
        return len(listeners) >= count and broker.ready.is_set() and started

    await until(live)
