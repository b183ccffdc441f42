"""The one module where the compiled path relies on Django's and psycopg's connection
beyond their documented API (listed in docs/internals.md with the pinned versions;
tests/graph/test_internals.py pins each one)."""

import time
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import RawCursor

# psycopg prepares a statement run this many times, or any run with prepare=True.
_ONLY_WHEN_ASKED = 2**31


def run(sql: str, values: Sequence[Any], *, logged: Callable[[], str]) -> str:
    """The statement's one text value, prepared once per connection (server-side binding:
    Django's own cursor binds on the client, so PostgreSQL would plan every execution).
    `sql` has PostgreSQL's `$n` placeholders (psycopg's raw cursor: nothing to convert);
    `logged()` is what the query log records, asked only when the log is on."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's prepared statements off; its own (client-binding) cursors
        # never prepare, so this lets only ours, which ask for it, be prepared.
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    started = time.monotonic()
    # Driver errors become Django's (a lost connection is its OperationalError, which
    # clients see as SERVICE_UNAVAILABLE), and Django checks the connection before reuse.
    with connection.wrap_database_errors, RawCursor(raw) as cursor:
        cursor.execute(sql, values, prepare=True)
        row = cursor.fetchone()
    if connection.queries_logged:
        log_query(logged(), time.monotonic() - started)
    assert row is not None
    return str(row[0])


def log_query(sql: str, seconds: float) -> None:
    """Records a statement as Django's debug cursor does, so query counts (tests'
    django_assert_num_queries) and the DEBUG log see it."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.queries_logged:
        connection.queries_log.append({"sql": sql, "time": f"{seconds:.3f}"})
