"""A socket that cannot be let in because the database is down closes with 1013 ("Try
Again Later"), which graphql-ws's client retries, not with 4500, on which it gives up for
good; an unexpected failure still closes with 4500."""

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import InterfaceError, OperationalError

from realtime import transport
from realtime.broker import Broker
from social.models import User
from tests.factories import make_user
from tests.websocket.client import PROTOCOLS, WSClient

pytestmark = pytest.mark.django_db(transaction=True)


def _failing(error: Exception) -> Callable[..., Any]:
    async def active_user(user_id: int) -> None:
        raise error

    return active_user


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
async def test_the_database_down_at_connection_init_closes_with_try_again_later(
    protocol: str,
    error: type[Exception],
    event_broker: Broker,
    token_for: Callable[[User], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    token = token_for(alice)
    monkeypatch.setattr(transport, "_active_user", _failing(error("Connection refused")))
    answer = await WSClient(protocol).init({"authorization": f"Bearer {token}"})
    assert answer == {
        "type": "closed",
        "code": 1013,
        "reason": "Database unavailable, retry shortly",
    }
    # Back: the same client is let in.
    monkeypatch.undo()
    client = WSClient(protocol)
    await client.connect(token)
    await client.close()


async def test_an_unexpected_failure_at_connection_init_still_closes_with_4500(
    event_broker: Broker, token_for: Callable[[User], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    monkeypatch.setattr(transport, "_active_user", _failing(RuntimeError("a bug")))
    answer = await WSClient().init({"authorization": f"Bearer {token_for(alice)}"})
    assert answer == {"type": "closed", "code": 4500, "reason": "Internal error"}
