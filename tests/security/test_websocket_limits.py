"""WebSocket limits on /graphql: origin, init timeout, one init, unique ids, counts, sizes."""

import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from realtime.broker import Broker
from realtime.runtime import runtime
from social.models import User
from tests.factories import make_user
from tests.websocket import fixtures
from tests.websocket.client import LEGACY_WS, PROTOCOLS, TRANSPORT_WS, WSClient, until

pytestmark = pytest.mark.django_db(transaction=True)
# The WebSocket fixtures (tests/websocket/fixtures.py), shared rather than copied.
_ws_settings = fixtures._ws_settings
event_broker = fixtures.event_broker
live_runtime = fixtures.live_runtime
token_for = fixtures.token_for

SUBSCRIPTION = "subscription { notificationAdded { cursor } }"


async def _handshake(headers: list[tuple[bytes, bytes]]) -> bool:
    client = WSClient(TRANSPORT_WS, headers=headers)
    connected, _ = await client.communicator.connect()
    if connected:
        await client.close()
    return connected


async def test_origin_must_be_the_servers_own_or_a_cors_origin(
    settings: Any, event_broker: Broker
) -> None:
    # Every combination is in tests/security/test_origins.py; this is the short version.
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    settings.CORS_ALLOW_LOCALHOST = False
    assert not await _handshake([(b"origin", b"https://evil.example.net")])
    assert not await _handshake([(b"origin", b"null")])
    assert not await _handshake([(b"origin", b"http://localhost:3000")])
    assert await _handshake([(b"origin", b"https://app.example.com")])
    assert await _handshake([(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")])
    # Native clients send no Origin and carry no ambient cookies: let in.
    assert await _handshake([])


async def test_a_host_not_served_here_is_refused(event_broker: Broker) -> None:
    assert not await _handshake([(b"host", b"rebound.attacker.example")])
    assert await _handshake([(b"host", b"localhost:8000")])


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_no_connection_init_in_time_closes_with_4408(
    protocol: str, settings: Any, event_broker: Broker
) -> None:
    settings.WS_CONNECTION_INIT_TIMEOUT = 0.2
    client = WSClient(protocol)
    await client.open()
    assert await client.closed_with() == 4408


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_second_connection_init_closes_with_4429(
    protocol: str, event_broker: Broker
) -> None:
    client = WSClient(protocol)
    await client.connect()
    await client.send({"type": "connection_init", "payload": {}})
    assert await client.closed_with() == 4429


async def test_a_duplicate_subscription_id_closes_with_4409(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await database_sync_to_async(make_user)("alice")
    client = WSClient(TRANSPORT_WS)
    await client.connect(token_for(alice))
    await client.subscribe("same", SUBSCRIPTION)
    await client.subscribe("same", SUBSCRIPTION)
    assert await client.closed_with() == 4409
    await client.close()
    await until(lambda: event_broker.subscription_count() == 0)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_subscriptions_over_the_limit_are_refused_with_an_error(
    protocol: str, settings: Any, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    settings.WS_MAX_SUBSCRIPTIONS_PER_CONNECTION = 2
    alice = await database_sync_to_async(make_user)("alice")
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    for op_id in ("1", "2", "3"):
        await client.subscribe(op_id, SUBSCRIPTION)
    message = await client.receive()
    assert message["type"] == "error" and message["id"] == "3", message
    error = message["payload"] if protocol == "graphql-ws" else message["payload"][0]
    assert error == {
        "message": "Subscription limit reached: at most 2 per connection.",
        "extensions": {"code": "TOO_MANY_REQUESTS"},
    }
    await until(lambda: event_broker.subscription_count() == 2)
    assert await client.nothing(0.1)
    assert event_broker.subscription_count() == 2
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_connections_per_user_over_the_limit_are_refused(
    protocol: str, settings: Any, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    settings.WS_MAX_CONNECTIONS_PER_USER = 2
    alice = await database_sync_to_async(make_user)("alice")
    first, second, third = WSClient(protocol), WSClient(protocol), WSClient(protocol)
    await first.connect(token_for(alice))
    await second.connect(token_for(alice))
    answer = await third.init({"authorization": f"Bearer {token_for(alice)}"})
    if protocol == LEGACY_WS:
        assert answer["type"] == "connection_error"
        assert "Too many connections" in answer["payload"]["message"]
        answer = await third.receive()
    assert answer["type"] == "closed" and answer["code"] == 4429, answer
    assert "Too many connections" in answer["reason"]

    # A slot freed is a slot to take.
    await first.close()
    await until(lambda: runtime().signed_in.count(alice.pk) == 1)
    again = WSClient(protocol)
    await again.connect(token_for(alice))
    await again.close()
    await second.close()


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        '{"type": "no-such-type"}',
        '{"type": 5}',
        '{"id": "1", "type": "subscribe"}',
    ],
)
async def test_a_bad_message_closes_with_4400(raw: str, event_broker: Broker) -> None:
    client = WSClient(TRANSPORT_WS)
    await client.connect()
    await client.communicator.send_to(text_data=raw)
    assert await client.closed_with() == 4400


@pytest.mark.parametrize("raw", ["[1, 2]", '{"id": 1, "type": "start"}'])
async def test_a_bad_legacy_message_closes_with_4400(raw: str, event_broker: Broker) -> None:
    client = WSClient(LEGACY_WS)
    await client.connect()
    await client.communicator.send_to(text_data=raw)
    assert await client.closed_with() == 4400


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_message_over_the_size_limit_closes_with_4413(
    protocol: str, settings: Any, event_broker: Broker
) -> None:
    settings.WS_MAX_MESSAGE_BYTES = 1000
    client = WSClient(protocol)
    await client.connect()
    await client.subscribe("1", "subscription { notificationAdded { cursor } }" + " " * 2000)
    assert await client.closed_with() == 4413


@pytest.mark.parametrize(("protocol", "ping"), [(TRANSPORT_WS, "ping"), (LEGACY_WS, "ka")])
async def test_idle_sockets_get_keep_alive_pings(
    protocol: str, ping: str, settings: Any, event_broker: Broker
) -> None:
    settings.WS_KEEPALIVE_INTERVAL = 0.1
    client = WSClient(protocol)
    await client.connect()
    seen = []
    for _ in range(2):
        output = await client.communicator.receive_output(2)
        seen.append(json.loads(output["text"])["type"])
    assert seen == [ping, ping]
    await client.close()
