"""A connection PostgreSQL drops under a compiled statement (a restart, a failover,
pg_terminate_backend) is a retryable SERVICE_UNAVAILABLE, as on the normal executor."""

import psycopg
import pytest
from django.db import connection

from tests.graph.compiled.conftest import Run, World

PUBLIC_FEED = "{ publicFeed(first: 2) { edges { node { id } } } }"


def _terminate_this_connection() -> None:
    """Ends the test's own server session from another connection, as an administrator
    (or a restarting server) would."""
    pid = connection.connection.info.backend_pid
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_under_a_compiled_statement_is_service_unavailable(
    run: Run, world: World
) -> None:
    assert run(PUBLIC_FEED)["data"]["publicFeed"]["edges"]  # the connection is open
    _terminate_this_connection()
    try:
        answer = run(PUBLIC_FEED)
    finally:
        connection.close()  # the test client keeps it between requests: the next opens anew
    assert answer["data"] is None or answer["data"]["publicFeed"] is None
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", error
    assert error["message"] == "The database is unavailable right now. Retry in a moment."
    assert run(PUBLIC_FEED)["data"]["publicFeed"]["edges"]
