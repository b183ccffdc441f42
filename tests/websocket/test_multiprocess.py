"""Two real server processes (the Procfile's web) on one PostgreSQL and one Redis: events
cross processes.

Runs in both CI passes: it makes its own PostgreSQL database and uses Redis
whatever DATABASE_URL says.
"""

import asyncio
import contextlib
import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from graph.pagination import encode_cursor
from tests.services import postgres_url, redis_url
from tests.websocket import servers

# Its servers run on databases of their own: the same in both passes of .ci/run.
pytestmark = pytest.mark.own_servers

NOTIFICATION_ADDED = (
    "subscription ($after: String) { notificationAdded(after: $after) { cursor "
    "unreadNotificationCount notification { kind actor { username } } } }"
)
# "After nothing": the replay covers an event committed before a socket subscribed.
FROM_THE_START = {"after": encode_cursor("notifications", [0])}
HOME_FEED = "subscription { homeFeedPostAdded { body author { username } } }"
FOLLOW = "mutation ($id: ID!) { followUser(userId: $id) { errors { code } } }"
CREATE_POST = "mutation ($body: String!) { createPost(input: {body: $body}) { errors { code } } }"


def _server_url() -> str:
    """The PostgreSQL server to make a database on: DATABASE_URL's server (its maintenance
    database, as DATABASE_URL's own database may not exist: tests use test_<name>)."""
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(database_url)
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path="/postgres"))
        try:
            return postgres_url()
        finally:
            os.environ["DATABASE_URL"] = database_url
    return postgres_url()


@pytest.fixture
def two_servers() -> Iterator[tuple[int, int]]:
    pg, redis = _server_url(), redis_url()
    with servers.throwaway_database(pg) as database_url:
        env = servers.server_env(database_url, redis)
        servers.migrate(env)
        ports = (servers.free_port(), servers.free_port())
        processes = [servers.start_web(env, port) for port in ports]
        try:
            for process, port in zip(processes, ports, strict=True):
                servers.wait_ready(process, port)
            yield ports
        finally:
            for process in processes:
                servers.stop(process)


async def test_an_event_caused_on_one_process_reaches_every_socket_on_both(
    two_servers: tuple[int, int],
) -> None:
    one, two = two_servers
    alice_token, alice_id = await asyncio.to_thread(servers.register, one, "alice")
    bob_token, bob_id = await asyncio.to_thread(servers.register, one, "bob")
    await asyncio.to_thread(servers.graphql, two, FOLLOW, {"id": bob_id}, alice_token)

    # Alice on three devices: two on process 2, one on process 1; plus her home feed.
    feed = await servers.ws_subscribe(two, alice_token, HOME_FEED)
    sockets = [
        await servers.ws_subscribe(port, alice_token, NOTIFICATION_ADDED, FROM_THE_START)
        for port in (two, two, one)
    ]
    try:
        # homeFeedPostAdded is live only: give its registration a moment.
        await asyncio.sleep(1)
        # Caused through process 1.
        await asyncio.to_thread(servers.graphql, one, FOLLOW, {"id": alice_id}, bob_token)
        await asyncio.to_thread(
            servers.graphql, one, CREATE_POST, {"body": "hello @alice"}, bob_token
        )

        for ws in sockets:
            first = (await servers.ws_next(ws))["notificationAdded"]
            second = (await servers.ws_next(ws))["notificationAdded"]
            assert first["notification"] == {"kind": "FOLLOW", "actor": {"username": "bob"}}
            assert second["notification"] == {"kind": "MENTION", "actor": {"username": "bob"}}
            assert second["unreadNotificationCount"] == 2
        post = (await servers.ws_next(feed))["homeFeedPostAdded"]
        assert post == {"body": "hello @alice", "author": {"username": "bob"}}
    finally:
        for ws in [*sockets, feed]:
            with contextlib.suppress(Exception):
                await ws.close()
