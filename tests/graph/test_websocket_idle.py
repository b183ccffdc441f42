"""What an idle WebSocket costs: one round of keep-alives per process, no timer or task per
socket beyond the application's own, none per subscription (realtime/transport.py)."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from realtime import transport
from realtime.broker import Broker
from realtime.runtime import Runtime, runtime
from social.models import User
from tests.factories import make_user
from tests.websocket import fixtures
from tests.websocket.client import PROTOCOLS, TRANSPORT_WS, WSClient, subscribed, until

pytestmark = pytest.mark.django_db(transaction=True)
_ws_settings = fixtures._ws_settings
event_broker = fixtures.event_broker
live_runtime = fixtures.live_runtime
token_for = fixtures.token_for

NOTIFICATION_ADDED = "subscription { notificationAdded { cursor } }"
HOME_FEED = "subscription { homeFeedPostAdded { body } }"
SHARED = {"event-broker", "live-read"}


def _pending() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if not t.done()}


async def _keep_alive(client: WSClient) -> str:
    output = await client.communicator.receive_output(2)
    return str(json.loads(output["text"])["type"])


async def _users(count: int) -> list[User]:
    from channels.db import database_sync_to_async

    return [await database_sync_to_async(make_user)(username=f"idle{n}") for n in range(count)]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_one_round_sends_every_socket_its_keep_alives(
    protocol: str,
    settings: Any,
    live_runtime: Runtime,
    event_broker: Broker,
    token_for: Callable[[User], str],
) -> None:
    settings.WS_KEEPALIVE_INTERVAL = 0.1
    ping = "ping" if protocol == TRANSPORT_WS else "ka"
    clients = [WSClient(protocol) for _ in range(3)]
    for client, user in zip(clients, await _users(3), strict=True):
        await client.connect(token_for(user))
    before = _pending()
    for client in clients:
        assert [await _keep_alive(client), await _keep_alive(client)] == [ping, ping]
    # One timer for them all, no task.
    assert len(live_runtime.keep_alive.handlers) == 3 and live_runtime.keep_alive.timer
    assert _pending() <= before

    for client in clients:
        await client.close()
    # No socket left: no keep-alive timer left either.
    assert not live_runtime.keep_alive.handlers and live_runtime.keep_alive.timer is None


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_idle_socket_holds_no_task_beyond_the_application(
    protocol: str,
    settings: Any,
    live_runtime: Runtime,
    event_broker: Broker,
    token_for: Callable[[User], str],
) -> None:
    settings.WS_KEEPALIVE_INTERVAL = 25
    (alice,) = await _users(1)
    before = _pending()
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED)
    await client.subscribe("2", HOME_FEED)
    await subscribed(event_broker, 2)

    def own() -> set[asyncio.Task[Any]]:
        tasks = {t for t in _pending() - before if t.get_name() not in SHARED}
        tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
        return tasks

    # The subscribes and the start (the newest notification id, where a resync would read)
    # end once the broker is ready; then the application alone is left: no task per
    # subscription (each is a record), no keep-alive or connection-init timeout task.
    await until(lambda: not live_runtime.deliveries.tasks and len(own()) == 1)
    assert len(own()) == 1, own()
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_socket_initialised_in_time_is_not_closed_by_the_init_timeout(
    protocol: str, settings: Any, event_broker: Broker
) -> None:
    settings.WS_CONNECTION_INIT_TIMEOUT = 0.2
    client = WSClient(protocol)
    await client.connect()
    await asyncio.sleep(0.4)
    assert await client.nothing()
    await client.close()


class _Handler:
    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.sent = 0
        self.closed: list[int] = []

    def close(self, code: int, reason: str) -> None:
        self.closed.append(code)

    def keep_alive(self) -> None:
        if self.fails:
            raise ConnectionResetError("peer gone")
        self.sent += 1


async def test_a_socket_whose_keep_alive_cannot_be_sent_is_closed_and_forgotten(
    settings: Any,
) -> None:
    settings.WS_KEEPALIVE_INTERVAL = 0.05
    loop = Runtime(asyncio.get_running_loop()).keep_alive
    dead, alive = _Handler(fails=True), _Handler(fails=False)
    loop.add(dead)
    loop.add(alive)
    await asyncio.sleep(0.18)
    assert dead.closed == [transport.CLOSE_INTERNAL_ERROR]
    assert dead not in loop.handlers
    # Its neighbour is still pinged.
    assert alive.sent >= 2
    loop.discard(alive)
    assert loop.timer is None


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_the_token_of_a_deactivated_user_closes_with_4403(
    protocol: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    from channels.db import database_sync_to_async

    (gone,) = await _users(1)
    token = token_for(gone)
    gone.is_active = False
    await database_sync_to_async(gone.save)(update_fields=["is_active"])
    client = WSClient(protocol)
    answer = await client.init({"authorization": f"Bearer {token}"})
    if protocol != TRANSPORT_WS:
        assert answer["type"] == "connection_error"
        answer = await client.receive()
    assert answer["type"] == "closed" and answer["code"] == 4403, answer
    assert runtime().signed_in.by_user == {}


async def test_a_keep_alive_round_is_spread_over_the_interval(settings: Any) -> None:
    settings.WS_KEEPALIVE_INTERVAL = 0.2
    loop = Runtime(asyncio.get_running_loop()).keep_alive
    handlers = [_Handler(fails=False) for _ in range(4 * loop.size)]
    for handler in handlers:
        loop.add(handler)
    # A quarter of the interval in, only the first slice has had its keep-alive.
    await asyncio.sleep(0.07)
    assert sum(h.sent for h in handlers) == loop.size == 25
    # Then the others, slice by slice: every socket has its keep-alive.
    for _ in range(100):
        if all(h.sent for h in handlers):
            break
        await asyncio.sleep(0.02)
    assert all(h.sent for h in handlers)
    for handler in handlers:
        loop.discard(handler)
    assert loop.timer is None
