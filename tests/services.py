"""Reaching the machine's PostgreSQL and Redis from tests.

Under CI=true a test that needs one of them fails when it is missing; on a
newcomer's machine it is skipped with the reason.
"""

import os

import pytest
from django.db import connection

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
DEFAULT_TEST_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required services must be running)")
    pytest.skip(reason)


def redis_url() -> str:
    """A reachable Redis for the test (REDIS_URL, else the local default)."""
    import redis

    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        missing(f"Redis is not reachable at {url}: {exc}")
    return url


def postgres_url() -> str:
    """A reachable PostgreSQL server for tests that start their own processes."""
    import psycopg

    url = os.environ.get("TEST_POSTGRES_URL") or DEFAULT_TEST_POSTGRES_URL
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        url = database_url
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as exc:
        missing(f"PostgreSQL is not reachable at {url}: {exc}")
    return url


def require_postgres_database() -> None:
    """For tests about PostgreSQL's own behaviour (row locks, concurrency)."""
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs the test database on PostgreSQL: it runs in the DATABASE_URL=postgres://… "
            "pass of `make test` (CI runs that pass first)"
        )
