"""A WebSocket session writes one log line per event, with its ids and never its token."""

from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async

from realtime.broker import Broker
from social.models import User
from tests.factories import make_user
from tests.websocket.client import WSClient

pytestmark = pytest.mark.django_db(transaction=True)


async def test_connect_init_and_disconnect_are_logged_without_the_token(
    caplog: pytest.LogCaptureFixture, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    user = await sync_to_async(make_user)()
    token = token_for(user)
    client = WSClient()
    with caplog.at_level("INFO", logger="observability.ws"):
        await client.connect(token)
        await client.communicator.disconnect()

    records = [r for r in caplog.records if r.name == "observability.ws"]
    events = [getattr(r, "event", None) for r in records]
    assert events == ["connect", "connection_init", "disconnect"]
    assert {getattr(r, "connection_id", None) for r in records} != {None}
    assert len({getattr(r, "connection_id", None) for r in records}) == 1
    assert getattr(records[1], "user_id", None) == user.pk
    assert isinstance(getattr(records[2], "duration_ms", None), int)
    assert all(token not in str(r.__dict__) for r in records)


async def test_a_forged_token_is_logged_as_rejected(
    caplog: pytest.LogCaptureFixture, event_broker: Broker
) -> None:
    client = WSClient()
    with caplog.at_level("INFO", logger="observability.ws"):
        answer = await client.init({"authorization": "Bearer forged.token.value"})
    assert answer["type"] == "closed" and answer["code"] == 4403
    events = [getattr(r, "event", None) for r in caplog.records if r.name == "observability.ws"]
    assert "rejected" in events
    assert all("forged.token.value" not in str(r.__dict__) for r in caplog.records)
