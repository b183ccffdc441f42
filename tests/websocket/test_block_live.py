"""Live deliveries under a block: the blocked side's posts never reach the blocker's feed
stream, nor do notifications the blocked side would cause."""

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from realtime.broker import Broker
from social.models import User
from social.services.blocks import block_create
from tests.factories import make_follow, make_post, make_user
from tests.websocket.client import WSClient, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

HOME_FEED = """subscription { homeFeedPostAdded {
  body replyTo { body } mentions { username viewerBlocks blocksViewer } } }"""
NOTIFICATIONS = "subscription { notificationAdded { notification { kind actor { username } } } }"

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)
post = database_sync_to_async(make_post)
block = database_sync_to_async(block_create)


async def test_a_followed_reply_to_the_blocked_shows_no_parent(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob, carol = await user("ann"), await user("bob"), await user("carol")
    await follow(ann, carol)
    bobs = await post(bob, "bob's root")
    await block(blocker=ann, blocked=bob)
    client = WSClient()
    await client.connect(token_for(ann))
    await client.subscribe("feed", HOME_FEED)
    await client.subscribe("n", NOTIFICATIONS)
    await subscribed(event_broker, 2)

    await post(carol, "carol answers @bob", reply_to=bobs)
    await post(bob, "bob mentions @ann")  # no notification for ann, no feed event

    event = (await client.next_data("feed"))["homeFeedPostAdded"]
    assert event == {
        "body": "carol answers @bob",
        "replyTo": None,
        "mentions": [],  # the blocked are left out of lists of users
    }
    assert await client.nothing(0.5)
    await client.close()
