"""How live notifications are read: together for all sockets, with every flag in memory."""

from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from graph.notifications import live
from notifications.broker import Broker
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

    def counting(*, keys: Any) -> Any:
        reads.append(len(keys))
        return original(keys=keys)

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

    # One commit, six MENTION notifications, six sockets told at once.
    await post(author, " ".join(f"@{r.username}" for r in readers))

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

    reply = await post(bob, "an answer for @alice and @carol #Tea", reply_to=parent)
    await like(alice, reply)  # after the REPLY was sent: that event still says false

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
