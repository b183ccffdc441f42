"""The live side's database thread keeps one connection, and replaces it when it breaks."""

from collections.abc import AsyncIterator

import pytest
from django.db import connection

from realtime.db import subscription_db
from realtime.runtime import runtime
from tests.services import require_postgres_database

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    connection.close()  # this helper thread's own: the test database must end with no session


@pytest.fixture
async def closed_after() -> AsyncIterator[None]:
    yield
    await runtime().close()


async def test_the_connection_is_kept_between_calls(closed_after: None) -> None:
    require_postgres_database()
    backend_pid = subscription_db(_backend_pid)
    first = await backend_pid()
    assert await backend_pid() == first
    assert await backend_pid() == first


async def test_a_terminated_connection_is_replaced_on_the_next_call(closed_after: None) -> None:
    require_postgres_database()
    backend_pid = subscription_db(_backend_pid)
    first = await backend_pid()
    from asgiref.sync import sync_to_async

    await sync_to_async(_terminate)(first)
    second = await backend_pid()
    assert second != first
    assert await backend_pid() == second


async def test_results_and_errors_come_back_to_the_caller(closed_after: None) -> None:
    assert await subscription_db(lambda a, b: a + b)(2, 3) == 5

    def fails() -> None:
        raise LookupError("no such thing")

    with pytest.raises(LookupError, match="no such thing"):
        await subscription_db(fails)()
