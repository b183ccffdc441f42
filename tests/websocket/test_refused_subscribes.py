"""A subscribe that cannot run is answered, never dropped: a document that does not parse
closes graphql-transport-ws with 4400 (the graphql-ws protocol's rule) and is an error
message on the legacy protocol; several operations without `operationName` and variables
that UTF-8 cannot hold are BAD_USER_INPUT errors, and nothing is subscribed."""

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from realtime.broker import Broker
from social.models import User
from tests.factories import make_user
from tests.websocket.client import LEGACY_WS, PROTOCOLS, TRANSPORT_WS, WSClient

pytestmark = pytest.mark.django_db(transaction=True)

TWO_SUBSCRIPTIONS = (
    "subscription A { unreadNotificationCountChanged } "
    "subscription B { unreadNotificationCountChanged }"
)


async def _client(protocol: str, token_for: Callable[[User], str]) -> WSClient:
    alice = await database_sync_to_async(make_user)("alice")
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    return client


@pytest.mark.parametrize("query", ["subscription {", "{ me {"])
async def test_a_document_that_does_not_parse_closes_with_4400(
    query: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    client = await _client(TRANSPORT_WS, token_for)
    await client.subscribe("1", query)
    answer = await client.receive()
    assert answer["type"] == "closed" and answer["code"] == 4400, answer
    assert answer["reason"].startswith("Syntax Error")


@pytest.mark.parametrize("query", ["subscription {", "{ me {"])
async def test_a_document_that_does_not_parse_is_an_error_on_the_legacy_protocol(
    query: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    client = await _client(LEGACY_WS, token_for)
    await client.subscribe("1", query)
    answer = await client.receive()
    assert answer["type"] == "error" and answer["id"] == "1", answer
    assert answer["payload"]["message"].startswith("Syntax Error")
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (TWO_SUBSCRIPTIONS, {}, "The document holds several operations"),
        (
            "subscription ($after: String) { notificationAdded(after: $after) { cursor } }",
            {"after": "x\ud800"},
            "The request holds text that is not valid Unicode",
        ),
    ],
)
async def test_a_subscribe_refused_before_it_runs_is_bad_user_input(
    protocol: str,
    query: str,
    variables: dict[str, str],
    message: str,
    event_broker: Broker,
    token_for: Callable[[User], str],
) -> None:
    client = await _client(protocol, token_for)
    await client.subscribe("1", query, variables)
    answer = await client.receive()
    assert answer["type"] == "error" and answer["id"] == "1", answer
    errors = answer["payload"] if isinstance(answer["payload"], list) else [answer["payload"]]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["message"].startswith(message)
    assert event_broker.subscription_count() == 0
    await client.close()
