"""homeFeedEdgeAdded(after:): homeFeed's edges, live; with `after` the posts newer than the
cursor first, oldest first, then live ones, with no gap and no duplicate; every rule of
social/visibility.py on both paths."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import connection

import realtime.delivery as subscriptions
from graph.pagination import encode_cursor
from realtime.broker import Broker
from social.models import Post, User
from social.services.blocks import block_create
from social.services.follow_requests import follow_request_accept
from social.services.moderation import user_suspend
from social.services.mutes import mute_create
from tests.conftest import GqlCall
from tests.factories import make_follow, make_post, make_user
from tests.websocket.client import PROTOCOLS, WSClient, subscribed

pytestmark = pytest.mark.django_db(transaction=True)

EDGES = """subscription ($after: String) { homeFeedEdgeAdded(after: $after) {
  cursor node { body author { username } replyTo { body } } } }"""
HOME_FEED = """query ($first: Int, $after: String) { homeFeed(first: $first, after: $after) {
  edges { cursor node { body } } } }"""

user = database_sync_to_async(make_user)
follow = database_sync_to_async(make_follow)
post = database_sync_to_async(make_post)


def _home_feed(gql: GqlCall, viewer: User, **variables: Any) -> list[dict[str, Any]]:
    answer = gql(HOME_FEED, variables, as_user=viewer)
    assert "errors" not in answer, answer
    edges: list[dict[str, Any]] = answer["data"]["homeFeed"]["edges"]
    return edges


home_feed = database_sync_to_async(_home_feed)


def _bodies(viewer_id: int) -> list[str]:
    """Every post of the viewer's home feed that exists, oldest first (the database's view)."""
    from social.models import Follow

    followed = Follow.objects.filter(follower_id=viewer_id).values_list("followee_id", flat=True)
    posts = Post.objects.filter(author_id__in=[viewer_id, *followed])
    return list(posts.order_by("created_at", "id").values_list("body", flat=True))


async def _edge(client: WSClient, op_id: str = "1", timeout: float = 5) -> dict[str, Any]:
    edge: dict[str, Any] = (await client.next_data(op_id, timeout=timeout))["homeFeedEdgeAdded"]
    return edge


async def test_a_live_edge_carries_a_home_feed_cursor_to_page_from(
    event_broker: Broker, token_for: Callable[[User], str], gql: GqlCall
) -> None:
    ann, bob = await user("ann"), await user("bob")
    await follow(ann, bob)
    await post(bob, "older one")
    await post(bob, "older two")
    client = WSClient()
    await client.connect(token_for(ann))
    await client.subscribe("1", EDGES)
    await subscribed(event_broker, 1)

    await post(bob, "live")
    edge = await _edge(client)
    assert edge["node"] == {"body": "live", "author": {"username": "bob"}, "replyTo": None}
    # The very cursor homeFeed gives that post; paging on from it reads the older ones.
    first = await home_feed(gql, ann, first=1)
    assert first == [{"cursor": edge["cursor"], "node": {"body": "live"}}]
    older = await home_feed(gql, ann, first=10, after=edge["cursor"])
    assert [e["node"]["body"] for e in older] == ["older two", "older one"]
    assert await client.nothing(0.3)
    await client.close()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_replay_then_live_with_a_concurrent_writer(
    protocol: str,
    event_broker: Broker,
    token_for: Callable[[User], str],
    gql: GqlCall,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Small replay pages, so the writer's posts land while the replay is still paging.
    monkeypatch.setattr(subscriptions, "REPLAY_PAGE", 2)
    ann, bob, cat = await user("ann"), await user("bob"), await user("cat")
    await follow(ann, bob)
    await follow(ann, cat)
    for i in range(6):
        await post(bob if i % 2 else cat, f"before {i}")
    edges = await home_feed(gql, ann, first=10)
    # Resume after "before 1": "before 2" .. "before 5" are the backlog.
    resume_from = next(e["cursor"] for e in edges if e["node"]["body"] == "before 1")

    def write_more() -> None:
        try:
            for i in range(20):
                make_post(bob if i % 2 else cat, f"during {i}")
        finally:
            connection.close()

    async def write_more_between_reads() -> None:
        # SQLite's shared in-memory test database locks whole tables across threads, so
        # there the writer takes turns with the replay's reads on the ORM thread.
        for i in range(20):
            await post(bob if i % 2 else cat, f"during {i}")
            await asyncio.sleep(0)

    client = WSClient(protocol)
    await client.connect(token_for(ann))
    await client.subscribe("1", EDGES, {"after": resume_from})
    if connection.vendor == "postgresql":
        writer = asyncio.ensure_future(sync_to_async(write_more, thread_sensitive=False)())
    else:
        writer = asyncio.ensure_future(write_more_between_reads())

    received: list[dict[str, Any]] = []
    while len(received) < 4 + 20:
        received.append(await _edge(client, timeout=10))
    await writer
    assert await client.nothing(0.5)

    bodies = [edge["node"]["body"] for edge in received]
    everything = await database_sync_to_async(_bodies)(ann.pk)
    # No gap, no duplicate: exactly what is newer than the cursor.
    assert sorted(bodies) == sorted(everything[2:])
    assert len(set(bodies)) == len(bodies)
    # The backlog that existed before subscribing comes first, oldest first.
    assert bodies[:4] == ["before 2", "before 3", "before 4", "before 5"]
    # Every edge's cursor is homeFeed's cursor for that post.
    page = await home_feed(gql, ann, first=50)
    cursor_of = {e["node"]["body"]: e["cursor"] for e in page}
    assert [edge["cursor"] for edge in received] == [cursor_of[b] for b in bodies]
    await client.close()


async def test_reconnecting_with_the_last_cursor_misses_nothing(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann, bob = await user("ann"), await user("bob")
    await follow(ann, bob)
    client = WSClient()
    await client.connect(token_for(ann))
    await client.subscribe("1", EDGES)
    await subscribed(event_broker, 1)
    await post(bob, "one")
    await post(bob, "two")
    seen = [await _edge(client), await _edge(client)]
    await client.close()

    # Offline meanwhile: these must arrive on reconnect, then live ones.
    await post(bob, "three")
    await post(ann, "four")
    again = WSClient()
    await again.connect(token_for(ann))
    await again.subscribe("1", EDGES, {"after": seen[-1]["cursor"]})
    replayed = [(await _edge(again))["node"]["body"] for _ in range(2)]
    assert replayed == ["three", "four"]
    await subscribed(event_broker, 1)
    await post(bob, "five")
    assert (await _edge(again))["node"]["body"] == "five"
    assert await again.nothing(0.3)
    await again.close()


async def test_replay_and_live_keep_every_visibility_rule(
    event_broker: Broker, token_for: Callable[[User], str], gql: GqlCall
) -> None:
    ann, bob, cat = await user("ann"), await user("bob"), await user("cat")
    muted, gone = await user("muted"), await user("gone")
    locked = await user("locked", is_locked=True)
    moderator = await user("mod", is_staff=True)
    for other in (bob, cat, muted, gone, locked):
        await follow(ann, other)  # to the locked account: a request
    await database_sync_to_async(follow_request_accept)(target=locked, requester=ann)
    cats = await post(cat, "cat's root")
    await database_sync_to_async(block_create)(blocker=ann, blocked=cat)  # unfollows too
    await database_sync_to_async(mute_create)(muter=ann, muted=muted)
    mark = await post(bob, "mark")
    start = encode_cursor("home", [mark.created_at, mark.pk])

    async def write_one_of_each(tag: str) -> None:
        await post(bob, f"bob {tag}")
        await post(bob, f"bob answers cat {tag}", reply_to=cats)  # parent hidden: blocked
        await post(cat, f"cat {tag}")  # blocked (and no longer followed)
        await post(muted, f"muted {tag}")  # muted in feeds
        await post(gone, f"gone {tag}")  # suspended below
        await post(locked, f"locked {tag}")  # locked, ann approved

    await write_one_of_each("backlog")
    await database_sync_to_async(user_suspend)(user=gone, moderator=moderator)
    client = WSClient()
    await client.connect(token_for(ann))
    await client.subscribe("1", EDGES, {"after": start})
    backlog = [(await _edge(client))["node"] for _ in range(3)]
    await subscribed(event_broker, 1)
    await write_one_of_each("live")
    live = [(await _edge(client))["node"] for _ in range(3)]
    assert await client.nothing(0.5)

    for tag, nodes in (("backlog", backlog), ("live", live)):
        assert [(n["body"], n["replyTo"]) for n in nodes] == [
            (f"bob {tag}", None),
            (f"bob answers cat {tag}", None),
            (f"locked {tag}", None),
        ]
    # homeFeed shows the same posts above the mark, newest first.
    page = [e["node"]["body"] for e in await home_feed(gql, ann, first=50)]
    assert page[: page.index("mark")] == [n["body"] for n in reversed(backlog + live)]
    await client.close()


@pytest.mark.parametrize(
    "cursor",
    [
        encode_cursor("notifications", [1]),  # another list's cursor
        encode_cursor("public", ["2026-01-01T00:00:00+00:00", 1]),
        encode_cursor("home", ["not a date", 1]),
        encode_cursor("home", ["2026-01-01T00:00:00+00:00", 2**64]),
        "garbage!",
    ],
)
async def test_a_cursor_of_another_kind_or_garbage_is_bad_user_input(
    cursor: str, event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    ann = await user("ann")
    client = WSClient()
    await client.connect(token_for(ann))
    await client.subscribe("1", EDGES, {"after": cursor})
    message = await client.receive()
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["message"] == "`after` is not a valid cursor for this list."
    assert event_broker.subscription_count() == 0
    # A homeFeed cursor on the same socket is taken.
    good = encode_cursor("home", ["2026-01-01T00:00:00+00:00", 1])
    await client.subscribe("2", EDGES, {"after": good})
    await subscribed(event_broker, 1)
    await client.close()


async def test_signed_out_it_is_refused(event_broker: Broker) -> None:
    client = WSClient()
    await client.connect()
    await client.subscribe("1", EDGES)
    message = await client.receive()
    payload = message["payload"]
    errors = payload if isinstance(payload, list) else payload.get("errors", [payload])
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    await client.close()


async def test_followers_of_one_author_share_the_edge_and_each_sees_it_as_allowed(
    event_broker: Broker, token_for: Callable[[User], str]
) -> None:
    bob = await user("bob")
    fans = [await user(f"fan{i}") for i in range(3)]
    for fan in fans:
        await follow(fan, bob)
    await database_sync_to_async(mute_create)(muter=fans[2], muted=bob)
    document = "subscription { homeFeedEdgeAdded { cursor node { body viewerHasLiked } } }"
    clients = []
    for fan in fans:
        client = WSClient()
        await client.connect(token_for(fan))
        await client.subscribe("1", document)
        clients.append(client)
    await subscribed(event_broker, 3)

    bobs = await post(bob, "to all")
    cursor = encode_cursor("home", [bobs.created_at, bobs.pk])
    for client in clients[:2]:
        assert await _edge(client) == {
            "cursor": cursor,
            "node": {"body": "to all", "viewerHasLiked": False},
        }
    assert await clients[2].nothing(0.5)  # muted
    for client in clients:
        await client.close()
