"""A locked account's posts live: homeFeedPostAdded reaches its approved followers only,
and a post whose parent is locked away shows no parent to the others."""

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from realtime.broker import Broker
from social.models import User
from social.services.accounts import user_update_profile
from social.services.follow_requests import follow_request_accept
from tests.factories import make_follow, make_post, make_user
from tests.websocket.client import WSClient, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

HOME_FEED = "subscription { homeFeedPostAdded { body author { username } replyTo { body } } }"

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)
post = database_sync_to_async(make_post)
accept = database_sync_to_async(follow_request_accept)


async def test_home_feed_events_of_a_locked_account_reach_its_followers_only(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    lena = await user("lena", is_locked=True)
    fol, stranger, writer = await user("fol"), await user("stranger"), await user("writer")
    await follow(fol, lena)
    await accept(target=lena, requester=fol)
    await follow(stranger, lena)  # a pending request only
    await follow(fol, writer)
    await follow(stranger, writer)

    follower_socket, stranger_socket = WSClient(), WSClient()
    await follower_socket.connect(token_for(fol))
    await stranger_socket.connect(token_for(stranger))
    await follower_socket.subscribe("feed", HOME_FEED)
    await stranger_socket.subscribe("feed", HOME_FEED)
    await subscribed(event_broker, 2)

    secret = await post(lena, "for followers")
    event = (await follower_socket.next_data("feed"))["homeFeedPostAdded"]
    assert event == {"body": "for followers", "author": {"username": "lena"}, "replyTo": None}

    await post(writer, "answering lena", reply_to=secret)
    seen_by_follower = (await follower_socket.next_data("feed"))["homeFeedPostAdded"]
    assert seen_by_follower["replyTo"] == {"body": "for followers"}
    seen_by_stranger = (await stranger_socket.next_data("feed"))["homeFeedPostAdded"]
    assert seen_by_stranger == {
        "body": "answering lena",
        "author": {"username": "writer"},
        "replyTo": None,
    }
    assert await stranger_socket.nothing(0.5)
    await follower_socket.close()
    await stranger_socket.close()


NOTIFICATION_ADDED = """subscription { notificationAdded {
  unreadNotificationCount notification { kind actor { username viewerFollowRequested } } } }"""
unlock = database_sync_to_async(
    lambda user: user_update_profile(user=User.objects.get(pk=user.pk), is_locked=False)
)


async def test_requests_and_acceptances_are_notified_live(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    lena, ann = await user("lena", is_locked=True), await user("ann", is_locked=True)
    lena_socket, ann_socket = WSClient(), WSClient()
    await lena_socket.connect(token_for(lena))
    await ann_socket.connect(token_for(ann))
    await lena_socket.subscribe("n", NOTIFICATION_ADDED)
    await ann_socket.subscribe("n", NOTIFICATION_ADDED)
    await subscribed(event_broker, 2)

    await follow(lena, ann)  # both locked: each asks the other
    event = (await ann_socket.next_data("n"))["notificationAdded"]
    assert event["notification"]["actor"] == {"username": "lena", "viewerFollowRequested": False}
    await follow(ann, lena)
    event = (await lena_socket.next_data("n"))["notificationAdded"]
    assert event == {
        "unreadNotificationCount": 1,
        "notification": {
            "kind": "FOLLOW_REQUEST",
            "actor": {"username": "ann", "viewerFollowRequested": True},
        },
    }
    await unlock(lena)
    event = (await ann_socket.next_data("n"))["notificationAdded"]
    assert event["notification"] == {
        "kind": "FOLLOW_ACCEPTED",
        "actor": {"username": "lena", "viewerFollowRequested": False},
    }
    assert await lena_socket.nothing(0.3)
    await lena_socket.close()
    await ann_socket.close()
