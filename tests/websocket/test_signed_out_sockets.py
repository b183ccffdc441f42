"""An open socket ends with its signed-in state: closed (4403, which graphql-ws's client
retries with a fresh token) when its session is signed out, its user deactivated, or its
access token expires; nothing is delivered to it after that."""

import json
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from realtime.broker import Broker
from social.models import User
from tests.factories import PASSWORD, make_follow, make_user
from tests.security.test_signed_in_state import _deactivate_in_admin
from tests.websocket.client import PROTOCOLS, TRANSPORT_WS, WSClient, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFICATION_ADDED = "subscription { notificationAdded { notification { kind } } }"
LOGIN = """
mutation ($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) { accessToken refreshToken }
}
"""
LOGOUT = "mutation ($t: String) { logout(refreshToken: $t) { ok } }"

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)


def _graphql(query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = Client().post(
        "/graphql",
        json.dumps({"query": query, "variables": variables}),
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )
    result = response.json()
    assert "errors" not in result, result
    return result["data"]


graphql = database_sync_to_async(_graphql)


async def _login(account: User) -> dict[str, str]:
    data = await graphql(LOGIN, {"login": account.username, "password": PASSWORD})
    return data["login"]  # type: ignore[no-any-return]


async def _listening(protocol: str, token: str, broker: Broker) -> WSClient:
    client = WSClient(protocol)
    await client.connect(token)
    await client.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(broker, 1)
    return client


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_logout_closes_the_sessions_socket_and_delivers_nothing_more(
    protocol: str, event_broker: Broker
) -> None:
    alice, bob = await user("alice"), await user("bob")
    pair = await _login(alice)
    client = await _listening(protocol, pair["accessToken"], event_broker)
    await graphql(LOGOUT, {"t": pair["refreshToken"]}, pair["accessToken"])
    assert await client.closed_with() == 4403
    await follow(bob, alice)
    # Closed: no further message of any kind.
    assert await client.communicator.receive_nothing(timeout=0.5)


async def test_another_sessions_socket_stays_open(event_broker: Broker) -> None:
    alice, bob = await user("alice"), await user("bob")
    phone, laptop = await _login(alice), await _login(alice)
    stays = await _listening(TRANSPORT_WS, laptop["accessToken"], event_broker)
    await graphql(LOGOUT, {"t": phone["refreshToken"]}, phone["accessToken"])
    await follow(bob, alice)
    assert (await stays.next_data("1"))["notificationAdded"]["notification"]["kind"] == "FOLLOW"
    await stays.close()


async def test_a_signed_out_token_cannot_open_a_socket(event_broker: Broker) -> None:
    alice = await user("alice")
    pair = await _login(alice)
    await graphql(LOGOUT, {"t": pair["refreshToken"]}, pair["accessToken"])
    client = WSClient(TRANSPORT_WS)
    answer = await client.init({"authorization": f"Bearer {pair['accessToken']}"})
    assert answer["type"] == "closed" and answer["code"] == 4403


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_deactivating_the_user_closes_their_sockets(
    protocol: str, event_broker: Broker
) -> None:
    alice = await user("alice")
    client = await _listening(protocol, (await _login(alice))["accessToken"], event_broker)
    await database_sync_to_async(_deactivate_in_admin)(alice)
    assert await client.closed_with() == 4403


async def test_a_cookie_socket_closes_when_the_user_is_deactivated(
    event_broker: Broker, client: Client
) -> None:
    alice = await user("alice")
    await database_sync_to_async(client.force_login)(alice)
    cookie = client.cookies["sessionid"].value
    # A cookie signs a socket in only from an allowed Origin (graph/origins.py).
    ws = WSClient(
        TRANSPORT_WS,
        headers=[
            (b"cookie", f"sessionid={cookie}".encode()),
            (b"host", b"localhost:8000"),
            (b"origin", b"http://localhost:8000"),
        ],
    )
    await ws.connect()
    await ws.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)
    await database_sync_to_async(_deactivate_in_admin)(alice)
    assert await ws.closed_with() == 4403


async def test_the_socket_closes_when_its_access_token_expires(
    event_broker: Broker, settings: Any
) -> None:
    settings.ACCESS_TOKEN_TTL = timedelta(seconds=2)
    alice = await user("alice")
    client = await _listening(TRANSPORT_WS, (await _login(alice))["accessToken"], event_broker)
    assert await client.closed_with(timeout=5) == 4403


async def test_deleting_the_account_closes_its_sockets(event_broker: Broker) -> None:
    alice = await user("alice")
    pair = await _login(alice)
    client = await _listening(TRANSPORT_WS, pair["accessToken"], event_broker)
    delete = "mutation ($p: String!) { deleteAccount(password: $p) { ok } }"
    assert (await graphql(delete, {"p": PASSWORD}, pair["accessToken"]))["deleteAccount"] == {
        "ok": True
    }
    assert await client.closed_with() == 4403
