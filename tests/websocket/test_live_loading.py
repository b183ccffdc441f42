"""How live notifications are read: together for all sockets, with every flag in memory."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from realtime import loaders as live
from realtime.broker import Broker
from realtime.db import subscription_db
from social.models import User
from tests.factories import make_follow, make_like, make_post, make_user
from tests.websocket.client import WSClient, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)
post = database_sync_to_async(make_post)
like = database_sync_to_async(make_like)

KINDS = "subscription { notificationAdded { unreadNotificationCount notification { kind } } }"

# Everything a notification's post and actor hold in memory, flags included.
RICH = """
subscription {
  notificationAdded {
    cursor unreadNotificationCount
    notification {
      __typename id kind createdAt read
      actor { username viewerFollows followsViewer email }
      post {
        body hashtags viewerHasLiked likeCount
        author { username viewerFollows followsViewer }
        mentions { username viewerFollows followsViewer }
        replyTo { body viewerHasLiked author { username viewerFollows followsViewer } }
      }
    }
  }
}
"""

# replies reach the database: resolved off the event loop, as in a query.
DEEP = """
subscription {
  notificationAdded { notification { post { replyTo { replies(first: 5) {
    edges { node { body } } } } } } }
}
"""


async def test_deliveries_that_arrive_together_share_one_read(
    event_broker: Broker, token_for: Callable[[User], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    original = live.live_notifications

    def counting(*, keys: Any, **shape: Any) -> Any:
        reads.append(len(keys))
        return original(keys=keys, **shape)

    monkeypatch.setattr(live, "live_notifications", counting)
    author = await user("author")
    readers = [await user(f"reader{i}") for i in range(6)]
    clients = []
    for reader in readers:
        client = WSClient()
        await client.connect(token_for(reader))
        await client.subscribe("n", KINDS)
        clients.append(client)
    await subscribed(event_broker, len(readers))

    # The live side's database thread is busy (as under load) while one commit sends six
    # MENTION notifications to six sockets: their reads queue up and go together. (Over
    # Redis the six messages may arrive a few ms apart, so an idle thread could read the
    # first alone; without the busy thread this test would depend on that timing.)
    busy = asyncio.ensure_future(subscription_db(time.sleep)(0.5))
    await post(author, " ".join(f"@{r.username}" for r in readers))
    await busy

    for client in clients:
        event = (await client.next_data("n"))["notificationAdded"]
        assert event == {"unreadNotificationCount": 1, "notification": {"kind": "MENTION"}}
        await client.close()
    assert sum(reads) == len(readers)
    assert len(reads) <= 2, reads  # one read per notification would be six


async def test_every_flag_is_the_recipients_own(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob, carol = await user("alice"), await user("bob"), await user("carol")
    await follow(alice, bob)
    await follow(carol, alice)
    parent = await post(alice, "the question")
    await like(alice, parent)
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("n", RICH)
    await subscribed(event_broker, 1)

    await post(bob, "an answer for @alice and @carol #Tea", reply_to=parent)

    event = (await client.next_data("n"))["notificationAdded"]
    notification = event["notification"]
    assert event["unreadNotificationCount"] == 2  # carol's FOLLOW, then this REPLY
    assert notification["kind"] == "REPLY" and notification["read"] is False
    assert notification["actor"] == {
        "username": "bob",
        "viewerFollows": True,
        "followsViewer": False,
        "email": None,
    }
    assert notification["post"] == {
        "body": "an answer for @alice and @carol #Tea",
        "hashtags": ["tea"],
        "viewerHasLiked": False,
        "likeCount": 0,
        "author": {"username": "bob", "viewerFollows": True, "followsViewer": False},
        "mentions": [
            {"username": "alice", "viewerFollows": False, "followsViewer": False},
            {"username": "carol", "viewerFollows": False, "followsViewer": True},
        ],
        "replyTo": {
            "body": "the question",
            "viewerHasLiked": True,
            "author": {"username": "alice", "viewerFollows": False, "followsViewer": False},
        },
    }
    await client.close()


async def test_a_selection_that_reaches_the_database_still_resolves(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob = await user("alice"), await user("bob")
    parent = await post(alice, "first")
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("n", DEEP)
    await subscribed(event_broker, 1)

    await post(bob, "second", reply_to=parent)

    data = await client.next_data("n")
    replies = data["notificationAdded"]["notification"]["post"]["replyTo"]["replies"]
    assert [edge["node"]["body"] for edge in replies["edges"]] == ["second"]
    await client.close()


FEED = "subscription { homeFeedPostAdded { body hashtags author { username email } } }"
FEED_WITH_VARIABLE = """
subscription ($tags: Boolean!) { homeFeedPostAdded { body hashtags @include(if: $tags) } }
"""


async def _followers_online(
    author: User,
    count: int,
    query: str,
    token_for: Callable[[User], str],
    variables: Callable[[int], dict[str, Any]] = lambda i: {},
) -> list[WSClient]:
    clients = []
    for i in range(count):
        follower = await user(f"follower{i}")
        await follow(follower, author)
        client = WSClient()
        await client.connect(token_for(follower))
        await client.subscribe("feed", query, variables(i))
        clients.append(client)
    return clients


async def test_a_broadcast_is_executed_once_for_viewers_who_see_it_alike(
    event_broker: Broker, token_for: Callable[[User], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    executions: list[int] = []
    original = StrawberryGraphQLCoreExecutionContext.execute_operation

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        executions.append(id(self.root_value))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_operation", counting)
    author = await user("author")
    clients = await _followers_online(author, 6, FEED, token_for)
    own = WSClient()
    await own.connect(token_for(author))
    await own.subscribe("feed", FEED)
    await subscribed(event_broker, 7)

    await post(author, "news #Today")

    for client in clients:
        data = (await client.next_data("feed"))["homeFeedPostAdded"]
        assert data == {
            "body": "news #Today",
            "hashtags": ["today"],
            "author": {"username": "author", "email": None},
        }
    # The author's own copy shows them their email, so it is executed for them alone.
    mine = (await own.next_data("feed"))["homeFeedPostAdded"]
    assert mine["author"] == {"username": "author", "email": "author@example.com"}
    assert len(executions) == 2, executions  # six followers alike, and the author
    for client in [*clients, own]:
        await client.close()


async def test_operations_with_variables_are_executed_each_for_itself(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    author = await user("author")
    # One query text; every other follower asks for the tags.
    clients = await _followers_online(
        author, 5, FEED_WITH_VARIABLE, token_for, lambda i: {"tags": i % 2 == 0}
    )
    await subscribed(event_broker, 5)

    await post(author, "news #Today")

    for i, client in enumerate(clients):
        data = (await client.next_data("feed"))["homeFeedPostAdded"]
        expected = (
            {"body": "news #Today", "hashtags": ["today"]}
            if i % 2 == 0
            else {"body": "news #Today"}
        )
        assert data == expected
        await client.close()


async def test_the_delivery_delay_from_commit_is_measured(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    from prometheus_client import REGISTRY

    def delivered() -> float:
        labels = {"kind": "notification"}
        return REGISTRY.get_sample_value("events_delivery_seconds_count", labels) or 0.0

    alice, bob = await user("alice"), await user("bob")
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("n", KINDS)
    await subscribed(event_broker, 1)
    before = delivered()

    await follow(bob, alice)

    await client.next_data("n")
    assert delivered() == before + 1
    await client.close()
