"""A real uvicorn server on a thread of its own, with the Procfile's WebSocket class, for
tests that drive it with the `websockets` client."""

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn

LEAN = "realtime.server_ws:LeanWSProtocol"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """uvicorn serving `app` on 127.0.0.1 (its own event loop, on a thread)."""

    def __init__(self, app: Any, **options: Any) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            ws=LEAN,
            lifespan="off",
            log_level="warning",
            ws_per_message_deflate=False,
            timeout_graceful_shutdown=1,
            proxy_headers=False,
            **options,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.loop = self.server.servers[0].get_loop() if self.server.servers else None
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def call(self, function: Any, *args: Any) -> Any:
        """Runs `function(*args)` on the server's loop and returns its result."""
        assert self.loop is not None
        done = threading.Event()
        box: list[Any] = []

        def run() -> None:
            try:
                box.append(function(*args))
            finally:
                done.set()

        self.loop.call_soon_threadsafe(run)
        assert done.wait(5), "the server's loop did not run the call"
        return box[0]

    def websockets(self) -> list[Any]:
        """The server's open WebSocket protocols."""
        from realtime.server_ws import LeanWSProtocol

        connections = self.server.server_state.connections
        return self.call(lambda: [c for c in connections if isinstance(c, LeanWSProtocol)])


def raw_handshake(port: int, path: str = "/echo") -> socket.socket:
    """A TCP socket upgraded to a WebSocket by hand (to send what no client library sends)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, head
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def read_frames(sock: socket.socket, timeout: float = 5) -> list[tuple[int, bytes]]:
    """(opcode, payload) of the unmasked frames the server sends, until it closes."""
    sock.settimeout(timeout)
    data = b""
    with _suppress_reset():
        while chunk := sock.recv(65536):
            data += chunk
    frames = []
    while len(data) >= 2:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        start = 2
        if length == 126:
            length, start = int.from_bytes(data[2:4], "big"), 4
        elif length == 127:
            length, start = int.from_bytes(data[2:10], "big"), 10
        frames.append((opcode, data[start : start + length]))
        data = data[start + length :]
    return frames


class _suppress_reset:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> bool:
        return kind is not None and issubclass(kind, ConnectionResetError | TimeoutError)
