"""Mutes on the live side: no homeFeedPostAdded from a muted user to the muter, no
notificationAdded when the mute covers notifications, and viewerMutes on live objects."""

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from realtime.broker import Broker
from social.models import User
from social.services.mutes import mute_create
from tests.factories import make_follow, make_post, make_user
from tests.websocket.client import TRANSPORT_WS, WSClient, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

HOME_FEED = "subscription { homeFeedPostAdded { body author { username viewerMutes } } }"
NOTIFICATION_ADDED = """subscription { notificationAdded {
  unreadNotificationCount notification { kind actor { username viewerMutes } } } }"""

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)
post = database_sync_to_async(make_post)
mute = database_sync_to_async(mute_create)


async def test_the_muter_hears_nothing_from_the_muted_user_and_others_still_do(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob, cat, dan = await user("ann"), await user("bob"), await user("cat"), await user("dan")
    await follow(ann, bob)
    await follow(ann, cat)
    await follow(dan, bob)
    await mute(muter=ann, muted=bob)
    muter, other = WSClient(TRANSPORT_WS), WSClient(TRANSPORT_WS)
    await muter.connect(token_for(ann))
    await other.connect(token_for(dan))
    await muter.subscribe("feed", HOME_FEED)
    await muter.subscribe("notes", NOTIFICATION_ADDED)
    await other.subscribe("feed", HOME_FEED)
    await subscribed(event_broker, 3)

    await post(bob, "bob says hi @ann")
    await post(cat, "cat says hi")

    assert (await muter.next_data("feed"))["homeFeedPostAdded"] == {
        "body": "cat says hi",
        "author": {"username": "cat", "viewerMutes": False},
    }
    assert (await other.next_data("feed"))["homeFeedPostAdded"] == {
        "body": "bob says hi @ann",
        "author": {"username": "bob", "viewerMutes": False},
    }
    assert await muter.nothing(0.5)
    await muter.close()
    await other.close()


async def test_a_quiet_mute_still_delivers_notifications_with_the_flag(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob = await user("ann"), await user("bob")
    await mute(muter=ann, muted=bob, notifications=False)
    client = WSClient(TRANSPORT_WS)
    await client.connect(token_for(ann))
    await client.subscribe("notes", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)

    await follow(bob, ann)

    event = (await client.next_data("notes"))["notificationAdded"]
    assert event == {
        "unreadNotificationCount": 1,
        "notification": {"kind": "FOLLOW", "actor": {"username": "bob", "viewerMutes": True}},
    }
    await client.close()
