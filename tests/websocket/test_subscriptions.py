"""notificationAdded and homeFeedPostAdded over real WebSocket consumers, both protocols."""

import asyncio
from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from graph.pagination import encode_cursor
from realtime.broker import Broker
from realtime.runtime import runtime
from social.models import User
from tests.factories import make_follow, make_like, make_post, make_user
from tests.websocket.client import (
    LEGACY_WS,
    PROTOCOLS,
    TRANSPORT_WS,
    WSClient,
    subscribed,
    until,
)

pytestmark = pytest.mark.django_db(transaction=True)

NOTIFICATION_ADDED = """
subscription ($after: String) {
  notificationAdded(after: $after) {
    cursor unreadNotificationCount
    notification { id kind read actor { username } post { body author { username } } }
  }
}
"""
HOME_FEED = "subscription { homeFeedPostAdded { body author { username } viewerHasLiked } }"

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)
post = database_sync_to_async(make_post)
like = database_sync_to_async(make_like)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_follow_reaches_the_followee_live(
    protocol: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob = await user("alice"), await user("bob")
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)

    await follow(bob, alice)

    data = await client.next_data("1")
    event = data["notificationAdded"]
    assert event["notification"]["kind"] == "FOLLOW"
    assert event["notification"]["actor"] == {"username": "bob"}
    assert event["notification"]["read"] is False
    assert event["unreadNotificationCount"] == 1
    notification_pk = await database_sync_to_async(
        lambda: alice.notifications.get().pk  # type: ignore[attr-defined]
    )()
    assert event["cursor"] == encode_cursor("notifications", [notification_pk])
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_session_cookie_signs_the_socket_in(
    protocol: str, event_broker: Broker, client: object
) -> None:
    alice, bob = await user("alice"), await user("bob")
    await database_sync_to_async(client.force_login)(alice)  # type: ignore[attr-defined]
    cookie = client.cookies["sessionid"].value  # type: ignore[attr-defined]
    # A browser's handshake: the cookie counts only with an allowed Origin (its own here).
    headers = [(b"host", b"localhost:8000"), (b"origin", b"http://localhost:8000")]
    ws = WSClient(protocol, headers=[*headers, (b"cookie", f"sessionid={cookie}".encode())])
    await ws.connect()
    await ws.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)
    await follow(bob, alice)
    assert (await ws.next_data("1"))["notificationAdded"]["notification"]["kind"] == "FOLLOW"
    await ws.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_forged_token_closes_with_4403(protocol: str, event_broker: Broker) -> None:
    client = WSClient(protocol)
    answer = await client.init({"authorization": "Bearer not-a-real-token"})
    if protocol == LEGACY_WS:
        assert answer["type"] == "connection_error"
        answer = await client.receive()
    assert answer == {"type": "closed", "code": 4403, "reason": answer["reason"]}


async def test_expired_token_closes_with_4403(event_broker: Broker) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from social.services.tokens import access_token_issue

    alice = await user("alice")
    old = access_token_issue(user=alice, now=timezone.now() - timedelta(days=2))
    client = WSClient(TRANSPORT_WS)
    answer = await client.init({"authorization": f"Bearer {old}"})
    assert answer["type"] == "closed" and answer["code"] == 4403


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("query", [NOTIFICATION_ADDED, HOME_FEED])
async def test_subscribing_signed_out_is_unauthenticated(
    protocol: str, query: str, event_broker: Broker
) -> None:
    client = WSClient(protocol)
    await client.connect()
    await client.subscribe("1", query)
    message = await client.receive()
    assert message["type"] in {"error", "next", "data"}, message
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED", message
    assert event_broker.subscription_count() == 0
    await client.close()


async def test_every_device_gets_every_event(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob, carol = await user("alice"), await user("bob"), await user("carol")
    devices = [WSClient(TRANSPORT_WS), WSClient(TRANSPORT_WS), WSClient(LEGACY_WS)]
    for device in devices:
        await device.connect(token_for(alice))
        await device.subscribe("n", NOTIFICATION_ADDED)
    await subscribed(event_broker, 3)

    await follow(bob, alice)
    await follow(carol, alice)

    for device in devices:
        first = (await device.next_data("n"))["notificationAdded"]
        second = (await device.next_data("n"))["notificationAdded"]
        assert [first["notification"]["actor"]["username"], second["unreadNotificationCount"]] == [
            "bob",
            2,
        ]
        assert second["notification"]["actor"]["username"] == "carol"
        await device.close()


async def test_no_self_notification_and_likes_notify_once(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob = await user("alice"), await user("bob")
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)
    mine = await post(alice, "my own post mentioning @alice")
    await like(alice, mine)
    assert await client.nothing(0.5)

    unlike = database_sync_to_async(
        lambda: __import__("social.services.likes", fromlist=["x"]).like_delete(user=bob, post=mine)
    )
    await like(bob, mine)
    await unlike()
    await like(bob, mine)
    event = (await client.next_data("1"))["notificationAdded"]
    assert event["notification"]["kind"] == "LIKE"
    assert event["notification"]["post"]["body"] == "my own post mentioning @alice"
    assert await client.nothing(0.5)
    await client.close()


async def test_reply_that_mentions_the_parent_author_gives_one_reply(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob = await user("alice"), await user("bob")
    parent = await post(alice, "a question")
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED)
    await subscribed(event_broker, 1)
    await post(bob, "@alice here is an answer", reply_to=parent)
    event = (await client.next_data("1"))["notificationAdded"]
    assert event["notification"]["kind"] == "REPLY"
    assert event["notification"]["post"]["author"] == {"username": "bob"}
    assert await client.nothing(0.5)
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_home_feed_gets_posts_of_followed_users_and_own(
    protocol: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice, bob, carol = await user("alice"), await user("bob"), await user("carol")
    await follow(alice, bob)
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    await client.subscribe("feed", HOME_FEED)
    await subscribed(event_broker, 1)

    await post(carol, "not followed")
    await post(bob, "from bob")
    await post(alice, "from alice")

    first = (await client.next_data("feed"))["homeFeedPostAdded"]
    second = (await client.next_data("feed"))["homeFeedPostAdded"]
    assert first == {"body": "from bob", "author": {"username": "bob"}, "viewerHasLiked": False}
    assert second["body"] == "from alice"
    assert await client.nothing()
    await client.close()


async def test_stopping_one_subscription_leaves_its_siblings_running(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    # strawberry-django issue 942: ending one subscription must not stop the others.
    alice, bob, carol = await user("alice"), await user("bob"), await user("carol")
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe("a", NOTIFICATION_ADDED)
    await client.subscribe("b", NOTIFICATION_ADDED)
    await subscribed(event_broker, 2)
    assert event_broker.subscription_count() == 2
    await client.stop("a")
    await until(lambda: event_broker.subscription_count() == 1)
    await follow(bob, alice)
    assert (await client.next_data("b"))["notificationAdded"]["notification"]["actor"] == {
        "username": "bob"
    }
    await follow(carol, alice)
    assert (await client.next_data("b"))["notificationAdded"]["notification"]["actor"] == {
        "username": "carol"
    }
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_disconnect_leaves_no_subscription_or_task(
    protocol: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    alice = await user("alice")
    before = {t for t in asyncio.all_tasks() if not t.done()}
    client = WSClient(protocol)
    await client.connect(token_for(alice))
    await client.subscribe("1", NOTIFICATION_ADDED)
    await client.subscribe("2", HOME_FEED)
    await subscribed(event_broker, 2)
    assert event_broker.subscription_count() == 2
    assert runtime().signed_in.count(alice.pk) == 1

    await client.close()
    await until(lambda: event_broker.subscription_count() == 0)

    assert event_broker.subscriptions == {}
    assert runtime().signed_in.by_user == {}
    # A read the process's subscriptions share, or a replay after the broker (re)connected,
    # may still be finishing: it ends on its own (a record that ended sends nothing).
    await until(
        lambda: (
            not any(
                t.get_name() in ("live-read", "live-start") and not t.done()
                for t in asyncio.all_tasks()
            )
        )
    )
    # The broker's own listener (with Redis) may have started meanwhile; nothing else is left.
    left = {
        t
        for t in asyncio.all_tasks()
        if not t.done() and t not in before and t.get_name() != "event-broker"
    }
    left.discard(asyncio.current_task())  # type: ignore[arg-type]
    assert left == set()


POST_FIELDS = """
  body hashtags viewerHasLiked
  author { username viewerFollows followsViewer }
  replyTo { body viewerHasLiked author { username viewerFollows followsViewer } }
  mentions { username viewerFollows followsViewer }
"""


async def test_a_post_shared_by_many_local_viewers_carries_each_viewers_own_flags(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    from graph.context import Context
    from graph.ids import global_id
    from graph.schema import schema
    from social.models import Post

    bob = await user("bob")
    viewers = [await user(name) for name in ("alice", "carol", "dave", "erin", "fred")]
    for viewer in viewers:
        await follow(viewer, bob)
    alice, carol, dave = viewers[:3]
    parent = await post(dave, "the parent #one")
    await like(alice, parent)
    await follow(bob, carol)
    await follow(alice, dave)
    await follow(dave, carol)

    clients = []
    for viewer in viewers:
        client = WSClient()
        await client.connect(token_for(viewer))
        await client.subscribe("feed", f"subscription {{ homeFeedPostAdded {{ {POST_FIELDS} }} }}")
        clients.append(client)
    await subscribed(event_broker, 5)

    await post(bob, "to @carol and @dave #Two", reply_to=parent)
    new_post = await database_sync_to_async(lambda: Post.objects.latest("id"))()
    query = f'{{ post(id: "{global_id("Post", new_post.pk)}") {{ {POST_FIELDS} }} }}'
    for viewer, client in zip(viewers, clients, strict=True):
        live = (await client.next_data("feed"))["homeFeedPostAdded"]

        def read_over_http(viewer_id: int = viewer.pk) -> object:
            return schema.execute_sync(query, context_value=Context(viewer_id=viewer_id)).data

        expected = await database_sync_to_async(read_over_http)()
        assert live == expected["post"], viewer.username  # type: ignore[index]
        await client.close()
    assert live["mentions"][1] == {
        "username": "dave",
        "viewerFollows": False,
        "followsViewer": False,
    }


async def test_an_unexpected_failure_closes_the_socket_instead_of_hanging(
    event_broker: Broker, token_for: Callable[[User], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import realtime.transport

    async def outage(user_id: int) -> None:
        raise RuntimeError("the database is down")

    monkeypatch.setattr(realtime.transport, "_active_user", outage)
    alice = await user("alice")
    client = WSClient()
    answer = await client.init({"authorization": f"Bearer {token_for(alice)}"})
    assert answer["type"] == "closed" and answer["code"] == 4500, answer


async def test_fields_that_need_the_database_still_resolve_in_a_home_feed_event(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    # `replies` and `replyTo.hashtags` are not held in memory: they take the thread-hop path.
    alice, bob = await user("alice"), await user("bob")
    await follow(alice, bob)
    parent = await post(bob, "parent #tag")
    client = WSClient()
    await client.connect(token_for(alice))
    await client.subscribe(
        "feed",
        "subscription { homeFeedPostAdded { body replyTo { hashtags } "
        "replies(first: 1) { edges { node { body } } } } }",
    )
    await subscribed(event_broker, 1)
    await post(bob, "child", reply_to=parent)
    event = (await client.next_data("feed"))["homeFeedPostAdded"]
    assert event == {"body": "child", "replyTo": {"hashtags": ["tag"]}, "replies": {"edges": []}}
    await client.close()


async def test_viewers_with_equal_flags_share_a_post_but_a_database_selection_reads_its_own(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    # erin and fred have the same flags on the new post and its parent, so they share one
    # copy; the grandparent is read lazily, and only erin liked it.
    bob, dave = await user("bob"), await user("dave")
    viewers = [await user(name) for name in ("alice", "carol", "erin", "fred")]
    for viewer in viewers:
        await follow(viewer, bob)
    erin, fred = viewers[2:]
    grandparent = await post(dave, "grandparent")
    parent = await post(dave, "parent", reply_to=grandparent)
    await like(erin, grandparent)
    query = (
        "subscription { homeFeedPostAdded { body viewerHasLiked "
        "replyTo { replyTo { body viewerHasLiked } } } }"
    )
    clients = {}
    for viewer in viewers:
        client = WSClient()
        await client.connect(token_for(viewer))
        await client.subscribe("feed", query)
        clients[viewer.username] = client
    await subscribed(event_broker, 4)

    await post(bob, "child", reply_to=parent)
    seen = {name: (await c.next_data("feed"))["homeFeedPostAdded"] for name, c in clients.items()}
    for name, event in seen.items():
        liked = name == erin.username
        assert event["replyTo"]["replyTo"] == {"body": "grandparent", "viewerHasLiked": liked}
        assert event["viewerHasLiked"] is False
        await clients[name].close()
    assert fred.username in seen
