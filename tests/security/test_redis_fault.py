"""Redis down while the server runs: writes keep working, rows are stored, delivery resumes.

Uses a throw-away redis-server of its own (never the machine's shared one).
"""

import asyncio
import contextlib
import logging
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async

from graph.ids import global_id
from notifications.models import Notification
from realtime.broker import Broker
from social.models import User
from tests.conftest import GqlCall
from tests.factories import make_follow, make_user
from tests.services import IN_CI
from tests.websocket import fixtures
from tests.websocket.client import WSClient, until
from tests.websocket.servers import free_port
from tests.websocket.test_subscriptions import NOTIFICATION_ADDED

_ws_settings = fixtures._ws_settings
event_broker = fixtures.event_broker
live_runtime = fixtures.live_runtime
token_for = fixtures.token_for

FOLLOW = "mutation ($id: ID!) { followUser(userId: $id) { user { username } errors { code } } }"


class OwnRedis:
    """A redis-server on a free port that the test may stop and start again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if IN_CI:
                pytest.fail("redis-server is not installed (CI=true)")
            pytest.skip("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def own_redis(settings: Any) -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    settings.REDIS_URL = server.url
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
async def test_live_delivery_resumes_after_redis_returns_and_nothing_is_missed(
    own_redis: OwnRedis, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    fans = [await database_sync_to_async(make_user)(f"fan{i}") for i in range(3)]
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED)
    await asyncio.wait_for(event_broker.ready.wait(), 5)

    await database_sync_to_async(make_follow)(fans[0], alice)
    first = (await client.next_data("1"))["notificationAdded"]
    assert first["notification"]["actor"]["username"] == "fan0"

    await asyncio.to_thread(own_redis.stop)
    # The write succeeds and is stored while Redis is down.
    await database_sync_to_async(make_follow)(fans[1], alice)
    stored = await database_sync_to_async(Notification.objects.filter(recipient=alice).count)()
    assert stored == 2
    await until(lambda: not event_broker.ready.is_set())

    await asyncio.to_thread(own_redis.start)
    await asyncio.wait_for(event_broker.ready.wait(), 15)
    # What was written during the outage arrives (the broker resynchronises) ...
    missed = (await client.next_data("1", timeout=5))["notificationAdded"]
    assert missed["notification"]["actor"]["username"] == "fan1"
    # ... and live delivery works again, without duplicates.
    await database_sync_to_async(make_follow)(fans[2], alice)
    live = (await client.next_data("1", timeout=5))["notificationAdded"]
    assert live["notification"]["actor"]["username"] == "fan2"
    assert live["unreadNotificationCount"] == 3
    assert await client.nothing(0.5)
    await client.close()


@pytest.mark.django_db(transaction=True)
def test_a_mutation_succeeds_and_is_stored_when_redis_is_down(
    settings: Any, gql: GqlCall, caplog: pytest.LogCaptureFixture
) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    alice, bob = make_user("alice"), make_user("bob")
    with caplog.at_level(logging.ERROR, logger="notifications.events"):
        result = gql(FOLLOW, {"id": global_id("User", alice.pk)}, as_user=bob)
    assert result["data"]["followUser"] == {"user": {"username": "alice"}, "errors": []}
    assert Notification.objects.filter(recipient=alice, actor=bob, kind="FOLLOW").exists()
    assert "could not publish" in caplog.text
