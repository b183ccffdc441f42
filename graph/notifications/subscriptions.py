"""The live subscriptions' fields: who may subscribe, to what, with which selection.

Each resolver checks the viewer and its arguments (a bad cursor is refused before anything
is subscribed), derives what the selection reads, and hands the rest to realtime/delivery.py,
which registers the subscription with the broker and sends its events. Over a socket the
resolver returns at once and nothing of the operation stays alive (the socket's record is
rendered per event); over HTTP it streams the payloads, which Strawberry executes.
"""

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import datetime
from typing import Any

import strawberry

from graph.context import Info
from graph.errors import bad_user_input
from graph.notifications.queries import notification_cursor_id
from graph.pagination import decode_cursor
from graph.permissions import require_viewer_id
from graph.types.notifications import NotificationEvent
from graph.types.posts import PostEdge, PostType
from graph.types.selection import post_shape, reaches_database, selected_paths, shows_flags
from notifications.selectors import is_another_users
from realtime import delivery
from realtime.db import subscription_db
from social.reads import posts as post_reads

_is_another_users = subscription_db(is_another_users)


def _home_position(after: str) -> tuple[datetime, int]:
    """A homeFeed cursor's position; BAD_USER_INPUT for anything else."""
    values = decode_cursor(delivery.HOME_CURSOR_KIND, after, 2)
    try:
        return post_reads.cursor_position(values)
    except (ValueError, TypeError, OverflowError) as exc:
        raise bad_user_input("`after` is not a valid cursor for this list.") from exc


async def _live(info: Info, stream: str, viewer_id: int, **state: Any) -> AsyncGenerator[Any, None]:
    """Subscribes; a socket's subscription yields nothing here (realtime/transport.py
    sends its events), any other streams its payloads."""
    payloads = await delivery.subscribe(info.context.live, stream, viewer_id, **state)
    del info  # its parsed selection would otherwise live as long as a stream
    if payloads is not None:
        async with aclosing(payloads):  # ended (unregistered) with the stream, not by the GC
            async for payload in payloads:
                yield payload


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(
        description="The viewer's notifications as they are created. Requires sign-in.\n"
        "With `after` (a cursor from `notifications` or from an earlier event's\n"
        "`cursor`), every notification newer than it is sent first, oldest first,\n"
        "then live ones follow with no gap and no duplicate: a client that\n"
        "reconnects misses nothing."
    )
    async def notification_added(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[NotificationEvent, None]:
        viewer_id = require_viewer_id(info)
        after_id = None
        if after is not None:
            # A bad cursor, or another user's, is refused before anything is subscribed.
            after_id = notification_cursor_id(after)
            if await _is_another_users(notification_id=after_id, recipient_id=viewer_id):
                raise bad_user_input("`after` is a cursor of another user's notifications.")
        paths = selected_paths(info)
        shape, flags = post_shape(paths, "notification.post"), shows_flags(paths)
        live = _live(info, "notifications", viewer_id, shape=shape, flags=flags, after_id=after_id)
        async for event in live:
            yield event

    @strawberry.subscription(
        description="New posts that enter the viewer's home feed, as they are published. "
        "Requires sign-in."
    )
    async def home_feed_post_added(self, info: Info) -> AsyncGenerator[PostType, None]:
        viewer_id = require_viewer_id(info)
        paths = selected_paths(info)
        shape, private = post_shape(paths, ""), reaches_database(paths)
        async for post in _live(info, "posts", viewer_id, shape=shape, private=private):
            yield post

    @strawberry.subscription(
        description="The same stream as edges, resumable: each edge's cursor is a homeFeed "
        "cursor.\nWith `after` (from homeFeed or an earlier edge), the posts newer than it "
        "come\nfirst, oldest first, then live ones, with no gap and no duplicate."
    )
    async def home_feed_edge_added(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[PostEdge, None]:
        viewer_id = require_viewer_id(info)
        # A bad cursor is refused before anything is subscribed.
        position = None if after is None else _home_position(after)
        paths = selected_paths(info)
        shape, private = post_shape(paths, "node"), reaches_database(paths)
        live = _live(info, "edges", viewer_id, shape=shape, private=private, position=position)
        async for edge in live:
            yield edge

    @strawberry.subscription(
        description="The viewer's unread count whenever it changes, on every device "
        "(read on one, cleared on all)."
    )
    async def unread_notification_count_changed(self, info: Info) -> AsyncGenerator[int, None]:
        async for count in _live(info, "unread", require_viewer_id(info)):
            yield count
