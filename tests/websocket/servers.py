"""Real server processes for WebSocket tests: a throw-away PostgreSQL database, the
Procfile's web process on free ports, an HTTP GraphQL call and a `websockets` client
speaking graphql-transport-ws."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from websockets.asyncio.client import ClientConnection, connect

from tests import procfile

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-long-test-password-9"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A new, migrated-nothing PostgreSQL database on `server_url`'s server; dropped after."""
    name = f"ws_test_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(server_url)
    admin = psycopg.connect(server_url, connect_timeout=3, autocommit=True)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def server_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST", "WS_"))
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY="throwaway-websocket-test-secret-0123456789abcdef",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SETTINGS_MODULE="config.settings",
        RATELIMIT_ENABLE="false",
        LOG_LEVEL="WARNING",
        EVENTS_CHANNEL=f"test-events:{uuid.uuid4().hex}",
        WS_KEEPALIVE_INTERVAL="0",
    )
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )


def start_web(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The Procfile's web process, as production runs it."""
    # A file, not a pipe: a pipe nobody reads fills up and blocks the server's logging.
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the process
    process: subprocess.Popen[bytes] = procfile.start_web(env, port, output=log)
    process.log = log  # type: ignore[attr-defined]
    return process


def server_log(process: subprocess.Popen[bytes]) -> str:
    log = process.log  # type: ignore[attr-defined]
    log.seek(0)
    return str(log.read().decode(errors="replace"))


def wait_ready(process: subprocess.Popen[bytes], port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {server_log(process)[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    procfile.stop_web(process)


def graphql(port: int, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
    """One GraphQL POST to the server on `port` (blocking)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - http only
        result = json.loads(response.read())
    assert "errors" not in result, result
    return result["data"]


REGISTER = """
mutation ($input: RegisterInput!) {
  register(input: $input) { accessToken user { id } errors { field code } }
}
"""


def register(port: int, username: str) -> tuple[str, str]:
    """(access token, global id) of a new user."""
    data = graphql(
        port,
        REGISTER,
        {"input": {"username": username, "email": f"{username}@example.com", "password": PASSWORD}},
    )["register"]
    assert data["errors"] == [], data
    return data["accessToken"], data["user"]["id"]


async def ws_subscribe(
    port: int, token: str, query: str, variables: dict[str, Any] | None = None, op_id: str = "1"
) -> ClientConnection:
    """A graphql-transport-ws socket, acknowledged and subscribed."""
    ws = await connect(f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    await ws.send(
        json.dumps(
            {
                "id": op_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables or {}},
            }
        )
    )
    return ws


async def ws_next(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    """The data of the next `next` message (pings answered and skipped)."""
    import asyncio

    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] == "ping":
            await ws.send(json.dumps({"type": "pong"}))
            continue
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]
