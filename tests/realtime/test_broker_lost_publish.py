"""A publish that fails while the subscriptions' own Redis connection stays up (Redis
refusing new connections, a pooled connection broken) is caught up by the next publish that
succeeds: it first tells every process to resynchronise, since no broker noticed anything."""

import asyncio
from collections.abc import Callable

import pytest
import redis
from channels.db import database_sync_to_async

from realtime.broker import Broker
from social.models import User
from tests.factories import make_follow, make_user
from tests.security.test_redis_fault import OwnRedis, own_redis
from tests.websocket import fixtures
from tests.websocket.client import WSClient, subscribed
from tests.websocket.test_subscriptions import NOTIFICATION_ADDED

_ws_settings = fixtures._ws_settings
event_broker = fixtures.event_broker
live_runtime = fixtures.live_runtime
token_for = fixtures.token_for
__all__ = ["own_redis"]


def _refuse_new_connections(url: str) -> Callable[[], None]:
    """Redis keeps the connections it has (the broker's subscription) and refuses new ones
    (the publisher's next); returns what lets them in again."""
    admin = redis.Redis.from_url(url)
    admin.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
    connected = int(admin.info("clients")["connected_clients"])
    admin.config_set("maxclients", connected)
    return lambda: admin.config_set("maxclients", 10000)


def _actor(data: dict[str, object]) -> str:
    return str(data["notificationAdded"]["notification"]["actor"]["username"])  # type: ignore[index]


@pytest.mark.django_db(transaction=True)
async def test_an_event_whose_publish_failed_arrives_with_the_next_one(
    own_redis: OwnRedis, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    fans = [await database_sync_to_async(make_user)(f"fan{i}") for i in range(3)]
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)
    await database_sync_to_async(make_follow)(fans[0], alice)
    assert _actor(await client.next_data("1", timeout=5)) == "fan0"

    let_in = await asyncio.to_thread(_refuse_new_connections, own_redis.url)
    await database_sync_to_async(make_follow)(fans[1], alice)  # stored, not published
    assert event_broker.ready.is_set()  # the broker never noticed: it will not resync
    await asyncio.to_thread(let_in)

    await database_sync_to_async(make_follow)(fans[2], alice)
    assert _actor(await client.next_data("1", timeout=5)) == "fan1"
    assert _actor(await client.next_data("1", timeout=5)) == "fan2"
    assert await client.nothing(0.5)
    await client.close()
