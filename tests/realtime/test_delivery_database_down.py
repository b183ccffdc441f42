"""Live events this process cannot read (its database unreachable) end the subscriptions
they concern, with a code the client retries, instead of leaving a silent gap: the client
resumes with `after` and misses nothing, receives nothing twice."""

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError

import realtime.delivery as delivery
from realtime.broker import Broker
from realtime.loaders import CoalescingLoader
from realtime.runtime import Runtime
from social.models import User
from tests.factories import make_follow, make_user
from tests.websocket import fixtures
from tests.websocket.client import PROTOCOLS, WSClient, subscribed
from tests.websocket.test_subscriptions import NOTIFICATION_ADDED

_ws_settings = fixtures._ws_settings
event_broker = fixtures.event_broker
live_runtime = fixtures.live_runtime
token_for = fixtures.token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def _unreachable(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def _actor(event: dict[str, Any]) -> str:
    return str(event["notificationAdded"]["notification"]["actor"]["username"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_live_event_that_cannot_be_read_closes_the_socket_to_resume(
    protocol: str,
    live_runtime: Runtime,
    event_broker: Broker,
    token_for: Callable[[User], str],
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    fans = [await database_sync_to_async(make_user)(f"fan{i}") for i in range(3)]
    token = token_for(alice)
    client = WSClient(protocol)
    await client.connect(token)
    await client.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)
    await database_sync_to_async(make_follow)(fans[0], alice)
    first = await client.next_data("1")
    assert _actor(first) == "fan0"

    loaders = live_runtime.loaders
    readable = loaders.notifications
    loaders.notifications = CoalescingLoader(_unreachable)
    await database_sync_to_async(make_follow)(fans[1], alice)
    assert await client.closed_with(timeout=5) == delivery.CLOSE_TRY_AGAIN_LATER

    # The client retries, resuming after the last event it received.
    loaders.notifications = readable
    again = WSClient(protocol)
    await again.connect(token)
    cursor = first["notificationAdded"]["cursor"]
    await again.subscribe("1", NOTIFICATION_ADDED, {"after": cursor})
    assert _actor(await again.next_data("1")) == "fan1"
    await subscribed(event_broker, 1)
    await database_sync_to_async(make_follow)(fans[2], alice)
    assert _actor(await again.next_data("1")) == "fan2"
    assert await again.nothing(0.3)
    await again.close()


async def test_a_replay_that_cannot_be_read_closes_the_socket_to_resume(
    event_broker: Broker, token_for: Callable[[User], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    fan = await database_sync_to_async(make_user)("fan")
    await database_sync_to_async(make_follow)(fan, alice)
    monkeypatch.setattr(delivery, "_notifications_page", _unreachable)
    client = WSClient()
    await client.connect(token_for(alice))
    # Its backlog cannot be read: not live with a gap, but closed for the client to retry.
    after = "WyJub3RpZmljYXRpb25zIiwwXQ"  # before the first notification
    await client.subscribe("1", NOTIFICATION_ADDED, {"after": after})
    assert await client.closed_with(timeout=5) == delivery.CLOSE_TRY_AGAIN_LATER


async def test_a_stream_whose_event_cannot_be_read_ends_with_service_unavailable(
    live_runtime: Runtime, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    from tests.websocket.test_http_streams import SSE, Stream, _subscribed

    alice = await database_sync_to_async(make_user)("alice")
    fans = [await database_sync_to_async(make_user)(f"fan{i}") for i in range(2)]
    stream = Stream(SSE, {"query": NOTIFICATION_ADDED}, authorization=f"Bearer {token_for(alice)}")
    assert await stream.status() == 200
    await _subscribed(event_broker)
    await database_sync_to_async(make_follow)(fans[0], alice)
    await stream.text(lambda t: "event: next" in t)
    live_runtime.loaders.notifications = CoalescingLoader(_unreachable)
    await database_sync_to_async(make_follow)(fans[1], alice)
    await stream.text(lambda t: "event: complete" in t)
    first, failed = stream.data()
    assert _actor(first["data"]) == "fan0"
    assert failed["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", failed
    await stream.close()
