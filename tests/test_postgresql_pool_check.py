"""A connection leaving the pool is checked with a round trip only when it may be dead:
first use, idle past CHECK_AFTER_IDLE_SECONDS, or something waiting on its socket (what a
terminated backend sends). Under load every request saved a round trip."""

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from config.postgresql import base as pool_backend
from tests.services import require_postgres_database

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool() -> Iterator[pool_backend.RecoveringPool]:
    require_postgres_database()
    kwargs = {**connection.get_connection_params(), "autocommit": True}

    def make_pool(owner: pool_backend.RecoveringPool) -> ConnectionPool:
        return ConnectionPool(
            kwargs=kwargs,
            open=False,
            min_size=1,
            max_size=1,
            connection_class=pool_backend._noting_failures(owner),
        )

    def probe() -> None:
        psycopg.Connection.connect(**kwargs).close()

    recovering = pool_backend.RecoveringPool(make_pool, probe)
    yield recovering
    recovering.close()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    check = ConnectionPool.check_connection

    def counting(conn: Any) -> None:
        seen.append(conn)
        check(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counting))
    return seen


def _pid(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(row[0])


def test_a_connection_reused_at_once_goes_out_without_a_round_trip(
    pool: pool_backend.RecoveringPool, checks: list[Any]
) -> None:
    first = pool.getconn()
    pid = _pid(first)
    pool.pool.putconn(first)
    assert len(checks) == 1  # its first hand-out is checked
    again = pool.getconn()
    assert _pid(again) == pid
    assert len(checks) == 1, "a quiet connection used a moment ago was checked again"
    pool.pool.putconn(again)


def test_a_connection_idle_past_the_threshold_is_checked(
    pool: pool_backend.RecoveringPool, checks: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pool.pool.putconn(pool.getconn())
    monkeypatch.setattr(pool_backend, "CHECK_AFTER_IDLE_SECONDS", 0.0)
    time.sleep(0.01)
    pool.pool.putconn(pool.getconn())
    assert len(checks) == 2


def test_a_terminated_backend_is_noticed_and_replaced(
    pool: pool_backend.RecoveringPool, checks: list[Any]
) -> None:
    conn = pool.getconn()
    pid = _pid(conn)
    pool.pool.putconn(conn)
    with connection.cursor() as cursor:
        # With a timeout, pg_terminate_backend waits until the backend has exited.
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    replaced = pool.getconn()
    assert len(checks) >= 2, "the terminated connection went out unchecked"
    assert _pid(replaced) != pid
    pool.pool.putconn(replaced)
