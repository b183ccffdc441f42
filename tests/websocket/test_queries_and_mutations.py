"""Queries and mutations sent over a socket (graphql-ws clients may send every operation
there, not only subscriptions) answer as over HTTP, on both protocols."""

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from notifications.broker import Broker
from social.models import Post, User
from tests.factories import make_post, make_user
from tests.websocket.client import PROTOCOLS, WSClient

pytestmark = pytest.mark.django_db(transaction=True)

user = database_sync_to_async(make_user)
post = database_sync_to_async(make_post)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_query_over_a_socket_answers_as_over_http(
    protocol: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await user("alice")
    await post(alice, "hello from alice")
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    await client.subscribe(
        "1", "{ me { username } publicFeed(first: 5) { edges { node { body } } } }"
    )
    data = await client.next_data("1")
    assert data == {
        "me": {"username": "alice"},
        "publicFeed": {"edges": [{"node": {"body": "hello from alice"}}]},
    }
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_mutation_over_a_socket_writes_and_answers(
    protocol: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await user("alice")
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    await client.subscribe(
        "1",
        "mutation ($body: String!) { createPost(input: {body: $body}) "
        "{ post { body author { username } } errors { code } } }",
        {"body": "over the socket"},
    )
    data = await client.next_data("1")
    assert data == {
        "createPost": {
            "post": {"body": "over the socket", "author": {"username": "alice"}},
            "errors": [],
        }
    }
    count = await database_sync_to_async(Post.objects.filter(body="over the socket").count)()
    assert count == 1
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_signed_out_mutation_over_a_socket_is_unauthenticated(
    protocol: str, event_broker: Broker
) -> None:
    client = WSClient(protocol)
    await client.connect()
    await client.subscribe("1", 'mutation { createPost(input: {body: "x"}) { errors { code } } }')
    message = await client.receive()
    errors = (
        message["payload"]["errors"] if message["type"] in {"next", "data"} else message["payload"]
    )
    assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_invalid_query_over_a_socket_is_refused_before_execution(
    protocol: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await user("alice")
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    await client.subscribe("1", "{ me { nope } }")
    message = await client.receive()
    assert message["type"] == "error", message
    errors = message["payload"] if isinstance(message["payload"], list) else [message["payload"]]
    assert "nope" in errors[0]["message"]
    await client.close()
