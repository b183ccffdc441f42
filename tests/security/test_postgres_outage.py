"""PostgreSQL stops and starts again under running servers (a restart, a failover).

Two web processes (the Procfile's line) serve a throw-away PostgreSQL server of the test's own
(tests/postgres_server.py), stopped and started eight times, for outages of different
lengths. While it is down, every request fails fast with the retryable SERVICE_UNAVAILABLE
(and /readyz answers 503); the first request to each process once it accepts connections
again succeeds, at once.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.postgres_server import PostgresServer, own_postgres_server
from tests.websocket.servers import free_port, migrate, server_env, start_web, stop, wait_ready

# Its servers run on databases of their own: the same in both passes of .ci/run.
pytestmark = pytest.mark.own_servers

QUERY = '{ user(username: "nobody") { username } }'
# Seconds each outage lasts beyond the requests made during it; one cycle per entry.
OUTAGES = [0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.5]
CYCLES = len(OUTAGES)
# Far below the pool's wait (DB_POOL_TIMEOUT, 10 s), which is what a request waited before.
FAIL_FAST_SECONDS = 5.0
# The first request once the server is back: a fresh connection, no back-off (a loaded
# 2-core machine included).
RECOVERY_SECONDS = 3.0


def _post(port: int, query: str) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, body = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, body = error.code, json.loads(error.read() or b"{}")
    return status, body, time.monotonic() - started


def _readyz(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture
def servers() -> Iterator[tuple[PostgresServer, list[int]]]:
    with own_postgres_server() as postgres:
        env = server_env(postgres.url, "", DB_POOL_SIZE="4")
        migrate(env)
        ports = [free_port(), free_port()]
        processes = [start_web(env, port) for port in ports]
        try:
            for process, port in zip(processes, ports, strict=True):
                wait_ready(process, port)
            yield postgres, ports
        finally:
            for process in processes:
                stop(process)


def test_requests_fail_fast_while_postgres_is_down_and_succeed_once_it_is_back(
    servers: tuple[PostgresServer, list[int]],
) -> None:
    postgres, ports = servers
    for port in ports:
        for _ in range(3):  # each process holds pooled connections
            assert _post(port, QUERY)[:2] == (200, {"data": {"user": None}})

    for cycle in range(CYCLES):
        postgres.stop()
        for port in ports:
            for _ in range(2):
                status, body, seconds = _post(port, QUERY)
                assert status == 200, (cycle, body)
                assert body["data"] is None or body["data"] == {"user": None}, (cycle, body)
                codes = [error["extensions"]["code"] for error in body.get("errors", [])]
                assert codes == ["SERVICE_UNAVAILABLE"], (cycle, body)
                assert seconds < FAIL_FAST_SECONDS, (cycle, seconds)
            assert _readyz(port) == 503
        # Outages from none to several seconds, as restarts take: psycopg_pool's reconnect
        # back-off (1 s, 2 s, 4 s) grows meanwhile, and is caught at each of its stages.
        time.sleep(OUTAGES[cycle])

        postgres.start()  # returns once the server accepts connections
        for port in ports:
            status, body, seconds = _post(port, QUERY)
            assert (status, body) == (200, {"data": {"user": None}}), (cycle, port)
            # At once, not after sitting out a back-off or most of the pool's wait.
            assert seconds < RECOVERY_SECONDS, (cycle, port, seconds)
            assert _readyz(port) == 200
