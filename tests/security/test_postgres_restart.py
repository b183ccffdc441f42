"""PostgreSQL drops every connection (a restart, a failover): the running server recovers.

A real daphne process serves the test database. Its connections are killed with
pg_terminate_backend, which is what clients see when PostgreSQL restarts, without
stopping the machine's shared server; the next request must succeed.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.factories import make_user
from tests.services import require_postgres_database

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# The server's connections carry this name, so only they are killed (not this process's).
APPLICATION_NAME = "social-restart-test"


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{s['NAME']}?application_name={APPLICATION_NAME}"


def _post(port: int, query: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def server(transactional_db: None) -> Iterator[int]:
    require_postgres_database()
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": "restart-test-secret-key-0123456789abcdefghijklmnop",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"daphne did not start: {process.stderr.read()!r}")  # type: ignore[union-attr]
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=20)
        # Drop what the server left, so the test database can be flushed and dropped.
        _terminate_server_connections()


def _terminate_server_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [APPLICATION_NAME],
        )
        return len(cursor.fetchall())


def test_requests_succeed_after_postgres_drops_every_connection(server: int) -> None:
    make_user("pat")
    query = '{ user(username: "pat") { username } }'
    for _ in range(3):  # a few requests, so the server holds connections
        assert _post(server, query) == (200, {"data": {"user": {"username": "pat"}}})

    assert _terminate_server_connections() >= 1

    assert _post(server, query) == (200, {"data": {"user": {"username": "pat"}}})
    for _ in range(5):
        assert _post(server, query) == (200, {"data": {"user": {"username": "pat"}}})
