"""The floor under a socket's memory: a bare ASGI app that accepts a WebSocket, answers
connection_ack, counts subscribe/start messages and awaits the next message, nothing else.

`python -m bench.ws_memory --app floor` serves it in place of config.asgi, under the same
uvicorn command, so the difference between the two is what the application adds per socket.
Its /metrics has the two gauges the bench reads.
"""

from __future__ import annotations

import json
from typing import Any

_counts = {"subscriptions": 0, "sockets": 0}


async def application(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        return
    if scope["type"] == "http":
        body = b'{"data":{"__typename":"Query"}}'
        if scope["path"] == "/metrics":
            body = (
                f"graphql_subscriptions_active {_counts['subscriptions']}\n"
                f"graphql_websockets_open {_counts['sockets']}\n"
            ).encode()
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
        return
    await receive()  # websocket.connect
    protocols = scope.get("subprotocols") or [None]
    await send({"type": "websocket.accept", "subprotocol": protocols[0]})
    _counts["sockets"] += 1
    held = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            kind = json.loads(message.get("text") or "{}").get("type")
            if kind == "connection_init":
                await send({"type": "websocket.send", "text": '{"type":"connection_ack"}'})
            elif kind in ("subscribe", "start"):
                held += 1
                _counts["subscriptions"] += 1
    finally:
        _counts["sockets"] -= 1
        _counts["subscriptions"] -= held
