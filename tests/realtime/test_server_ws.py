"""realtime/server_ws.py: uvicorn's WebSocket protocol, trimmed, keeps every behaviour of
uvicorn's own, driven over real sockets with the `websockets` client; and the uvicorn and
wsproto internals it relies on (docs/internals.md)."""

import asyncio
import inspect
import json
import re
import socket
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
import wsproto
from uvicorn.protocols.websockets.wsproto_impl import WSProtocol
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from wsproto.connection import Connection

from realtime import server_ws
from realtime.server_ws import OPEN, LeanWSProtocol
from tests.realtime.servers import ServerThread, raw_handshake, read_frames

MAX_SIZE = 64 * 1024
# What the application saw, by the `id` in the query string.
SEEN: dict[str, Any] = {}


async def app(scope: Any, receive: Any, send: Any) -> None:
    """A bare ASGI application, one behaviour per path."""
    path, key = scope["path"], scope["query_string"].decode()
    assert (await receive())["type"] == "websocket.connect"
    if path == "/reject":
        await send({"type": "websocket.close"})
        return
    if path == "/http-reject":
        await send({"type": "websocket.http.response.start", "status": 401, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"who are you"})
        return
    if path == "/crash":
        raise RuntimeError("a secret the client must not see")
    offered = scope["subprotocols"]
    await send({"type": "websocket.accept", "subprotocol": offered[-1] if offered else None})
    if path == "/flood":
        await _flood(send, key)
        return
    if path == "/late":
        await asyncio.sleep(0.3)  # reads nothing for a while
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            SEEN[key] = message
            return
        if message.get("text") == "close":
            await send({"type": "websocket.close", "code": 4000, "reason": "bye"})
        else:
            echo = {k: v for k, v in message.items() if k != "type"}
            await send({"type": "websocket.send", **echo})


async def _flood(send: Any, key: str) -> None:
    # Sends until the client goes (a slow reader makes each send wait).
    SEEN[key] = {"sent": 0}
    try:
        while True:
            await send({"type": "websocket.send", "text": "x" * 16384})
            SEEN[key]["sent"] += 1
            await asyncio.sleep(0)  # a send that need not wait does not yield
    except OSError as error:  # uvicorn's ClientDisconnected
        SEEN[key]["error"] = type(error).__name__


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    running = ServerThread(app, ws_max_size=MAX_SIZE, ws_ping_interval=0.2, ws_ping_timeout=0.3)
    running.start()
    yield running
    running.stop()


def _key() -> str:
    return uuid.uuid4().hex


async def _seen(key: str, timeout: float = 3) -> Any:
    deadline = time.monotonic() + timeout
    while key not in SEEN:
        assert time.monotonic() < deadline, f"the application saw nothing for {key}"
        await asyncio.sleep(0.01)
    return SEEN[key]


async def test_handshake_subprotocol_and_a_round_trip(server: ServerThread) -> None:
    key = _key()
    async with connect(
        f"{server.url}/echo?{key}", subprotocols=["graphql-ws", "graphql-transport-ws"]
    ) as ws:
        assert ws.subprotocol == "graphql-transport-ws"
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv()) == {"type": "connection_init"}
        await ws.send(b"\x00bytes")
        assert await ws.recv() == b"\x00bytes"
        (protocol,) = server.websockets()
        # Accepted: wsproto's open connection alone, no scope, no instance dict.
        assert type(protocol.conn) is Connection
        assert protocol.scope is None and protocol.__dict__ == {}
        assert protocol.writable is OPEN and protocol.buffer is None
    assert (await _seen(key))["code"] == 1000


async def test_a_close_before_accept_is_a_403(server: ServerThread) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{server.url}/reject")
    assert refused.value.response.status_code == 403


async def test_an_http_response_before_accept_is_sent_as_is(server: ServerThread) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{server.url}/http-reject")
    assert refused.value.response.status_code == 401
    assert refused.value.response.body == b"who are you"


async def test_an_application_error_is_a_500_without_its_details(server: ServerThread) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{server.url}/crash")
    assert refused.value.response.status_code == 500
    assert refused.value.response.body == b"Internal Server Error"


async def test_a_message_over_the_maximum_size_closes_with_1009(server: ServerThread) -> None:
    key = _key()
    async with connect(f"{server.url}/echo?{key}", max_size=None) as ws:
        await ws.send("y" * (MAX_SIZE + 1))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert (await _seen(key))["code"] == 1009


async def test_a_fragmented_message_arrives_whole(server: ServerThread) -> None:
    async with connect(f"{server.url}/echo") as ws:
        await ws.send(["frag", "ment", "ed"])
        assert await ws.recv() == "fragmented"
        (protocol,) = server.websockets()
        assert protocol.buffer is None  # only while a message arrives


async def test_ping_is_answered_and_server_pings_keep_a_client_that_answers(
    server: ServerThread,
) -> None:
    async with connect(f"{server.url}/echo", ping_interval=None) as ws:
        pong = await ws.ping(b"hello")
        await asyncio.wait_for(pong, 2)
        # Several rounds of the server's pings (0.2 s, 0.3 s to answer): still open.
        await asyncio.sleep(0.7)
        await ws.send("still here")
        assert await ws.recv() == "still here"


async def test_a_peer_that_does_not_answer_pings_is_closed_with_1011(
    server: ServerThread,
) -> None:
    sock = await asyncio.to_thread(raw_handshake, server.port)
    frames = await asyncio.to_thread(read_frames, sock)
    sock.close()
    assert frames[0][0] == 0x9  # a ping
    opcode, payload = frames[-1]
    assert opcode == 0x8 and int.from_bytes(payload[:2], "big") == 1011


async def test_client_close_completes_the_closing_handshake(server: ServerThread) -> None:
    key = _key()
    ws = await connect(f"{server.url}/echo?{key}")
    await ws.close(4001, "leaving")
    assert ws.close_code == 4001
    assert (await _seen(key)) == {"type": "websocket.disconnect", "code": 4001, "reason": "leaving"}


async def test_server_close_completes_the_closing_handshake(server: ServerThread) -> None:
    key = _key()
    async with connect(f"{server.url}/echo?{key}") as ws:
        await ws.send("close")
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4000, "bye")
    assert closed.value.rcvd_then_sent is True  # the server's close, echoed by the client
    assert (await _seen(key))["code"] == 4000


async def test_garbage_after_the_handshake_closes_with_1002(server: ServerThread) -> None:
    key = _key()
    sock = await asyncio.to_thread(raw_handshake, server.port, f"/echo?{key}")
    sock.sendall(b"\x81\x05hello")  # unmasked: no client's frame
    frames = await asyncio.to_thread(read_frames, sock)
    sock.close()
    opcode, payload = frames[-1]
    assert opcode == 0x8 and int.from_bytes(payload[:2], "big") == 1002
    assert (await _seen(key))["code"] == 1002


@pytest.fixture
def quiet_server() -> Iterator[ServerThread]:
    # No pings: a client that stops reading stops answering them too.
    running = ServerThread(app, ws_ping_interval=0).start()
    yield running
    running.stop()


async def test_reading_pauses_until_the_application_takes_a_message(
    server: ServerThread,
) -> None:
    async with connect(f"{server.url}/late") as ws:
        for word in ("one", "two", "three"):
            await ws.send(word)
        await asyncio.sleep(0.1)
        (protocol,) = server.websockets()
        assert protocol.read_paused  # a message waits: the transport reads no more
        assert [await ws.recv() for _ in range(3)] == ["one", "two", "three"]
        assert not protocol.read_paused and protocol.queue.empty()


async def test_a_slow_reader_pauses_the_sender_and_an_abrupt_disconnect_ends_it(
    quiet_server: ServerThread,
) -> None:
    server = quiet_server
    key = _key()
    ws = await connect(f"{server.url}/flood?{key}", max_queue=1)
    await _seen(key)
    # The client reads nothing: once the buffers are full, the application's sends wait.
    deadline = time.monotonic() + 3
    while not isinstance(server.websockets()[0].writable, server_ws._Paused):
        assert time.monotonic() < deadline, "the transport was never paused"
        await asyncio.sleep(0.02)
    held = SEEN[key]["sent"]
    await asyncio.sleep(0.3)
    assert SEEN[key]["sent"] == held  # bounded: nothing is queued beyond the transport
    # Reading again resumes the sender.
    deadline = time.monotonic() + 3
    while SEEN[key]["sent"] == held:
        assert time.monotonic() < deadline, "the sender was never resumed"
        await ws.recv()
    # Gone mid-stream, without a close frame: the application's send fails, no socket left.
    ws.transport.abort()
    deadline = time.monotonic() + 3
    while "error" not in SEEN[key] or server.websockets():
        assert time.monotonic() < deadline, "the sender did not stop"
        await asyncio.sleep(0.02)
    assert SEEN[key]["error"] == "ClientDisconnected"


async def test_graceful_shutdown_closes_sockets_with_1012() -> None:
    own = ServerThread(app).start()
    key = _key()
    try:
        ws = await connect(f"{own.url}/echo?{key}")
        await asyncio.to_thread(own.stop)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    finally:
        own.stop()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    assert (await _seen(key))["code"] == 1012
    assert not own.thread.is_alive() and not own.server.server_state.tasks


def test_a_plain_http_request_is_still_http(server: ServerThread) -> None:
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/x", timeout=2)
    with socket.create_connection(("127.0.0.1", server.port), timeout=2):
        pass


# The internals it relies on (docs/internals.md) -----------------------------------------


def test_the_versions_checked_are_the_versions_installed() -> None:
    assert uvicorn.__version__ == "0.54.0"
    assert wsproto.__version__ == "1.3.2"


def test_every_attribute_uvicorns_protocol_sets_is_a_slot() -> None:
    config = uvicorn.Config(app, ws="wsproto", lifespan="off")
    state = uvicorn.server.ServerState()
    loop = asyncio.new_event_loop()
    try:
        theirs = WSProtocol(config=config, server_state=state, app_state={}, _loop=loop)
        ours = LeanWSProtocol(config=config, server_state=state, app_state={}, _loop=loop)
    finally:
        loop.close()
    assert set(vars(theirs)) <= set(LeanWSProtocol.__slots__)
    assert ours.__dict__ == {}
    # And every attribute its methods read or write.
    source = inspect.getsource(WSProtocol)
    assert set(re.findall(r"self\.(\w+) =", source)) <= set(LeanWSProtocol.__slots__)


def test_uvicorn_uses_the_queue_gate_and_buffer_only_as_replaced() -> None:
    source = inspect.getsource(WSProtocol)
    assert set(re.findall(r"self\.queue\.(\w+)", source)) == {"put_nowait", "get", "empty"}
    # get() only in receive(), which LeanWSProtocol overrides.
    assert source.count("self.queue.get()") == 1
    assert "self.queue.get()" in inspect.getsource(WSProtocol.receive)
    assert set(re.findall(r"self\.writable\.(\w+)", source)) == {"wait", "set", "clear"}
    # clear() only when the transport pauses, which LeanWSProtocol overrides.
    assert "self.writable.clear()" in inspect.getsource(WSProtocol.pause_writing)
    assert source.count("self.writable.clear()") == 1
    assert set(re.findall(r"self\.buffer\.(\w+)", source)) == {"extend", "clear", "to_message"}
    # start_keepalive() is called once, right after the accept is written.
    send = inspect.getsource(WSProtocol.send)
    assert re.search(r"self\.transport\.write\(output\)\n\s+self\.start_keepalive\(\)", send)
    assert source.count("self.start_keepalive()") == 1
    # The pings' own state: a pong clears what a ping set; a timeout closes with 1011.
    assert "code=1011" in inspect.getsource(WSProtocol.keepalive_timeout)


def test_wsproto_hands_over_its_open_connection_and_uses_its_event_deque_as_a_queue() -> None:
    connection = wsproto.WSConnection(wsproto.ConnectionType.SERVER)
    assert connection.connection is None
    assert isinstance(Connection(wsproto.ConnectionType.SERVER)._events, deque)
    source = inspect.getsource(Connection)
    assert set(re.findall(r"self\._events\.(\w+)", source)) == {"append", "popleft"}
    # Once open, WSConnection only forwards to its connection.
    for method in ("send", "receive_data"):
        assert "self.connection." in inspect.getsource(getattr(wsproto.WSConnection, method))
    assert "self.connection.events()" in inspect.getsource(wsproto.WSConnection.events)
