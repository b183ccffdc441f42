"""Two real server processes (the Procfile's web) on one PostgreSQL and one Redis: the unread
count and the resumable home feed cross processes (the fixture is test_multiprocess.py's)."""

import asyncio
import contextlib

import pytest

from tests.websocket import servers
from tests.websocket.test_multiprocess import (
    CREATE_POST,
    FOLLOW,
    two_servers,  # noqa: F401 (a fixture)
)

# Its servers run on databases of their own: the same in both passes of .ci/run.
pytestmark = pytest.mark.own_servers

UNREAD = "subscription { unreadNotificationCountChanged }"
MARK_ALL_READ = "mutation { markNotificationsRead { errors { code } } }"
EDGES = """subscription ($after: String) { homeFeedEdgeAdded(after: $after) {
  cursor node { body author { username } } } }"""
HOME_FEED = "query ($first: Int) { homeFeed(first: $first) { edges { cursor node { body } } } }"


async def _count(ws: object) -> int:
    return int((await servers.ws_next(ws))["unreadNotificationCountChanged"])  # type: ignore[arg-type]


async def test_the_unread_count_follows_every_device_on_both_processes(
    two_servers: tuple[int, int],  # noqa: F811
) -> None:
    one, two = two_servers
    alice_token, alice_id = await asyncio.to_thread(servers.register, one, "alice")
    bob_token, _ = await asyncio.to_thread(servers.register, two, "bob")
    phone = await servers.ws_subscribe(two, alice_token, UNREAD)
    laptop = await servers.ws_subscribe(one, alice_token, UNREAD)
    try:
        # The current count first: each socket is registered once it has it.
        assert [await _count(phone), await _count(laptop)] == [0, 0]
        # Caused through process 2: both devices hear it.
        await asyncio.to_thread(servers.graphql, two, FOLLOW, {"id": alice_id}, bob_token)
        assert [await _count(phone), await _count(laptop)] == [1, 1]
        # Read on the laptop (process 1): the phone on process 2 is cleared too.
        await asyncio.to_thread(servers.graphql, one, MARK_ALL_READ, None, alice_token)
        assert [await _count(phone), await _count(laptop)] == [0, 0]
    finally:
        for ws in (phone, laptop):
            with contextlib.suppress(Exception):
                await ws.close()


async def test_the_home_feed_resumes_on_the_other_process_with_no_gap(
    two_servers: tuple[int, int],  # noqa: F811
) -> None:
    one, two = two_servers
    alice_token, _ = await asyncio.to_thread(servers.register, one, "alice")
    bob_token, bob_id = await asyncio.to_thread(servers.register, one, "bob")
    await asyncio.to_thread(servers.graphql, one, FOLLOW, {"id": bob_id}, alice_token)
    await asyncio.to_thread(servers.graphql, one, CREATE_POST, {"body": "zero"}, bob_token)
    page = await asyncio.to_thread(servers.graphql, two, HOME_FEED, {"first": 1}, alice_token)
    start = page["homeFeed"]["edges"][0]["cursor"]

    # From homeFeed's cursor: nothing is missed while the socket registers.
    first = await servers.ws_subscribe(two, alice_token, EDGES, {"after": start})
    sockets = [first]
    try:
        await asyncio.to_thread(servers.graphql, one, CREATE_POST, {"body": "one"}, bob_token)
        edge = (await servers.ws_next(first))["homeFeedEdgeAdded"]
        assert edge["node"] == {"body": "one", "author": {"username": "bob"}}
        await first.close()

        # Offline meanwhile; then resumed on the other process from the last edge.
        await asyncio.to_thread(servers.graphql, two, CREATE_POST, {"body": "two"}, bob_token)
        again = await servers.ws_subscribe(one, alice_token, EDGES, {"after": edge["cursor"]})
        sockets.append(again)
        assert (await servers.ws_next(again))["homeFeedEdgeAdded"]["node"]["body"] == "two"
        # Then live, published by process 2.
        await asyncio.to_thread(servers.graphql, two, CREATE_POST, {"body": "three"}, bob_token)
        last = (await servers.ws_next(again))["homeFeedEdgeAdded"]
        assert last["node"]["body"] == "three"
        # Its cursor is homeFeed's, on either process.
        page = await asyncio.to_thread(servers.graphql, two, HOME_FEED, {"first": 1}, alice_token)
        assert page["homeFeed"]["edges"][0]["cursor"] == last["cursor"]
        with contextlib.suppress(TimeoutError):
            extra = await servers.ws_next(again, timeout=0.5)
            raise AssertionError(f"a duplicate or stray event: {extra}")
    finally:
        for ws in sockets:
            with contextlib.suppress(Exception):
                await ws.close()
