"""Live events over WebSocket: notificationAdded and homeFeedEdgeAdded (gapless, resumable),
homeFeedPostAdded, and unreadNotificationCountChanged.

Each subscription registers with this process's broker BEFORE it reads anything
from the database, so an event committed while it reads is queued, not lost; a
set of the ids already sent drops the duplicates that this overlap produces.
An event's objects are read once for every subscription of the process that receives it
(graph/notifications/live.py for notifications, one read per post for a broadcast), as
PostViews and UserViews like every other read, each viewer's flags set from two queries
for all of them (social/reads/flags.py): resolving a selection touches no database unless
it asks for a connection.
"""

import asyncio
import dataclasses
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any, cast

import strawberry
from django.utils import timezone

from graph.context import Info
from graph.errors import bad_user_input, unauthenticated
from graph.execution import share_results
from graph.notifications.live import live_loaders
from graph.notifications.queries import CURSOR_KIND
from graph.pagination import decode_cursor, encode_cursor
from graph.subscription_db import subscription_db
from graph.types.notifications import NotificationEvent, NotificationType
from graph.types.posts import PostEdge, PostType
from graph.types.selection import post_shape, selected_paths
from notifications.broker import RESYNC, get_broker
from notifications.events import NOTIFICATION, POST, UNREAD, NotificationAdded, PostAdded
from notifications.selectors import (
    REPLAY_PAGE,
    NotificationView,
    is_another_users,
    notifications_after,
    unread_count,
)
from observability.metrics import EVENT_DELIVERY_SECONDS, EVENTS_DELIVERED
from social.reads import posts as post_reads
from social.reads.flags import locked_of, many_viewers, people_of, post_with_viewer, posts_of
from social.reads.views import PostShape, PostView

# The kind of cursor homeFeed hands out (graph/social/queries.py).
HOME_CURSOR_KIND = "home"

# How many sent ids a subscription remembers to drop duplicates (replay/live overlap).
SENT_MEMORY = 10_000


class SentIds:
    """The ids already sent, oldest forgotten first; `high` is the largest."""

    def __init__(self, start: int) -> None:
        self.high = start
        self._ids: OrderedDict[int, None] = OrderedDict()

    def __contains__(self, pk: int) -> bool:
        return pk in self._ids

    def add(self, pk: int) -> None:
        self._ids[pk] = None
        if len(self._ids) > SENT_MEMORY:
            self._ids.popitem(last=False)
        self.high = max(self.high, pk)


def _event(notification: NotificationView, unread: int) -> NotificationEvent:
    return NotificationEvent(
        cursor=encode_cursor(CURSOR_KIND, [notification.id]),
        notification=cast(NotificationType, notification),
        unread_notification_count=unread,
    )


@subscription_db
def _is_another_users(notification_id: int, viewer_id: int) -> bool:
    return is_another_users(notification_id=notification_id, recipient_id=viewer_id)


@subscription_db
def _replay_page(
    viewer_id: int, after_id: int, shape: PostShape
) -> tuple[list[NotificationView], int, int]:
    views, read = notifications_after(recipient_id=viewer_id, after_id=after_id, shape=shape)
    return views, read, unread_count(recipient_id=viewer_id)


def _delivered(kind: str, committed_at: float | None) -> None:
    EVENTS_DELIVERED.labels(kind=kind).inc()
    if committed_at is not None:
        EVENT_DELIVERY_SECONDS.labels(kind=kind).observe(max(0.0, time.time() - committed_at))


async def _start_id(viewer_id: int, after: str | None) -> int:
    if after is not None:
        return int(decode_cursor(CURSOR_KIND, after, 1)[0])
    return await live_loaders().latest_ids.load(viewer_id)


async def _notification_events(
    viewer_id: int, after: str | None, *, shape: PostShape, flags: bool
) -> AsyncGenerator[NotificationEvent, None]:
    notifications = live_loaders().notifications
    async with get_broker().subscribe(kind=NOTIFICATION, user_id=viewer_id) as subscription:
        # Subscribed first: whatever commits from here on is queued for us.
        sent = SentIds(await _start_id(viewer_id, after))

        async def replay() -> AsyncGenerator[NotificationEvent, None]:
            while True:
                views, read, unread = await _replay_page(viewer_id, sent.high, shape)
                for view in views:
                    if view.id not in sent:
                        sent.add(view.id)
                        yield _event(view, unread)
                if read < REPLAY_PAGE:
                    return

        if after is not None:
            # Without `after` there is nothing to replay: a notification committed since
            # the subscription began is in the queue, newer than the start id or not.
            async for event in replay():
                EVENTS_DELIVERED.labels(kind=NOTIFICATION).inc()
                yield event
        while True:
            item = await subscription.get()
            if item is RESYNC:
                # Redis was away or we fell behind: read what we may have missed.
                async for event in replay():
                    EVENTS_DELIVERED.labels(kind=NOTIFICATION).inc()
                    yield event
                continue
            if not isinstance(item, NotificationAdded) or item.notification_id in sent:
                continue
            notification, unread = await notifications.load(
                (item.notification_id, viewer_id, shape, flags)
            )
            if notification is None:
                continue
            sent.add(notification.id)
            _delivered(NOTIFICATION, item.committed_at)
            yield _event(notification, unread)


@subscription_db
def _posts_for_viewers(
    post_id: int, viewer_ids: list[int], shape: PostShape
) -> dict[int, PostView]:
    """The post as each local viewer sees it, in one thread hop and a fixed number of queries:
    read once for everyone, then each viewer's flags from two queries for all of them.

    Viewers who see it alike share one view, not one each: a popular author's followers
    fall into a handful of groups, and a view per viewer for thousands of them was most of
    this hop (which every one of them waits for). Those who appear in the post (author,
    parent's author, mentioned) get a view of their own: it shows them their own email, so
    its result cannot be shared (graph/execution.py)."""
    base = post_reads.posts_by_ids(
        post_ids=[post_id], viewer_id=None, shape=shape, keep_emails=True
    ).get(post_id)
    if base is None:
        return {}
    people, post_ids = people_of(base), posts_of(base)
    # A feed event: the viewers' mutes hide it too (social/visibility.py, feed=True).
    flags = many_viewers(
        viewer_ids=viewer_ids, post_ids=post_ids, people=people, feed=True, locked=locked_of(base)
    )
    views: dict[Any, PostView | None] = {}
    shared: dict[int, PostView] = {}
    for viewer_id in viewer_ids:
        key = (flags.key(viewer_id, people, post_ids), viewer_id if viewer_id in people else None)
        if key not in views:
            view = views[key] = post_with_viewer(base, viewer_id, flags, feed=True)
            if view is not None:
                share_results(view)
        view = views[key]
        if view is not None:
            shared[viewer_id] = view
    return shared


async def _post_for(
    event: PostAdded, viewer_id: int, shape: PostShape, *, private: bool
) -> PostView | None:
    """This viewer's post; the first subscription to ask loads it for all.

    `private`: the selection reaches the database (a connection), whose reads depend on
    the subscription's own context: it gets a view of its own, executed for it alone."""
    # One read per distinct selection shape among the event's subscriptions.
    tasks: dict[PostShape, asyncio.Task[dict[int, PostView]]] = event.shared.setdefault("views", {})
    task = tasks.get(shape)
    if task is None:
        task = asyncio.ensure_future(_posts_for_viewers(event.post_id, event.local_users, shape))
        tasks[shape] = task
    # Shielded: one cancelled subscriber must not cancel the load its siblings await.
    views = task.result() if task.done() else await asyncio.shield(task)
    view = views.get(viewer_id)
    if view is None or not private:
        return view
    return dataclasses.replace(view)


# The fields that read the database when resolved: the connections.
_CONNECTIONS = frozenset({"replies", "posts", "followers", "following"})
_FLAGS = frozenset(
    {
        "viewerHasLiked",
        "viewerFollows",
        "followsViewer",
        "viewerMutes",
        "viewerBlocks",
        "blocksViewer",
        "viewerFollowRequested",
    }
)


def _reaches_database(paths: frozenset[str]) -> bool:
    return any(path.rpartition(".")[2] in _CONNECTIONS for path in paths)


def _shows_flags(paths: frozenset[str]) -> bool:
    return any(path.rpartition(".")[2] in _FLAGS for path in paths)


async def _home_feed_posts(
    viewer_id: int, shape: PostShape, *, private: bool
) -> AsyncGenerator[PostType, None]:
    async with get_broker().subscribe(kind=POST, user_id=viewer_id) as subscription:
        while True:
            item: Any = await subscription.get()
            # Live only (the home feed itself is the catch-up), so a resync reads nothing.
            if not isinstance(item, PostAdded):
                continue
            post = await _post_for(item, viewer_id, shape, private=private)
            if post is not None:
                _delivered(POST, item.committed_at)
                yield cast(PostType, post)


async def _unread_counts(viewer_id: int) -> AsyncGenerator[int, None]:
    counts = live_loaders().unread_counts
    async with get_broker().subscribe(kind=UNREAD, user_id=viewer_id) as subscription:
        # Subscribed first, then counted: a change committed meanwhile is queued, and read.
        last = await counts.load(viewer_id)
        yield last
        while True:
            item = await subscription.get()  # a change, or a resync: count again either way
            # A burst (a mark-all heard as many events, a block and its withdrawals): the
            # one read below, made after all of them, counts them all.
            subscription.clear()
            count = await counts.load(viewer_id)
            if count != last:
                last = count
                if item is not RESYNC:
                    _delivered(UNREAD, getattr(item, "committed_at", None))
                yield count


def _home_position(after: str) -> tuple[datetime, int]:
    """A homeFeed cursor's position; BAD_USER_INPUT for anything else."""
    values = decode_cursor(HOME_CURSOR_KIND, after, 2)
    try:
        return post_reads.cursor_position(values)
    except (ValueError, TypeError, OverflowError) as exc:
        raise bad_user_input("`after` is not a valid cursor for this list.") from exc


@subscription_db
def _home_replay_page(
    viewer_id: int, after: tuple[datetime, int], shape: PostShape
) -> tuple[list[PostView], bool]:
    return post_reads.home_replay_page(
        viewer_id=viewer_id, after=after, shape=shape, size=REPLAY_PAGE
    )


def _edge(view: PostView) -> PostEdge:
    cursor = encode_cursor(HOME_CURSOR_KIND, [view.created_at, view.id])
    return PostEdge(cursor=cursor, node=cast(PostType, view))


def _shared_edge(event: PostAdded, view: PostView, *, private: bool) -> PostEdge:
    """One edge per shared view, so the subscriptions sharing the view share its result too
    (graph/execution.py); a private view gets its own."""
    if private:
        return _edge(view)
    edges: dict[int, PostEdge] = event.shared.setdefault("edges", {})
    edge = edges.get(id(view))  # the view lives in the event's loaded views meanwhile
    if edge is None:
        edge = edges[id(view)] = _edge(view)
        share_results(edge)
    return edge


async def _home_feed_edges(
    viewer_id: int, after: tuple[datetime, int] | None, shape: PostShape, *, private: bool
) -> AsyncGenerator[PostEdge, None]:
    async with get_broker().subscribe(kind=POST, user_id=viewer_id) as subscription:
        # Subscribed first: whatever commits from here on is queued for us. The ids sent
        # drop the posts both the replay and the queue hold.
        sent = SentIds(0)
        # Where a replay starts: the cursor, then the newest post sent. Without a cursor
        # nothing is replayed but after a resync, from the moment of subscribing.
        position = after if after is not None else (timezone.now(), 0)

        async def replay() -> AsyncGenerator[PostEdge, None]:
            nonlocal position
            while True:
                views, full = await _home_replay_page(viewer_id, position, shape)
                for view in views:
                    position = max(position, (view.created_at, view.id))
                    if view.id not in sent:
                        sent.add(view.id)
                        yield _edge(view)
                if not full:
                    return

        if after is not None:
            async for edge in replay():
                EVENTS_DELIVERED.labels(kind=POST).inc()
                yield edge
        while True:
            item: Any = await subscription.get()
            if item is RESYNC:
                # Redis was away or we fell behind: read what we may have missed.
                async for edge in replay():
                    EVENTS_DELIVERED.labels(kind=POST).inc()
                    yield edge
                continue
            if not isinstance(item, PostAdded) or item.post_id in sent:
                continue
            post = await _post_for(item, viewer_id, shape, private=private)
            if post is None:
                continue
            sent.add(post.id)
            position = max(position, (post.created_at, post.id))
            _delivered(POST, item.committed_at)
            yield _shared_edge(item, post, private=private)


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
        viewer_id = info.context.viewer_id
        if viewer_id is None:
            raise unauthenticated()
        if after is not None:
            # A bad cursor, or another user's, is refused before anything is subscribed.
            after_id = int(decode_cursor(CURSOR_KIND, after, 1)[0])
            if await _is_another_users(after_id, viewer_id):
                raise bad_user_input("`after` is a cursor of another user's notifications.")
        paths = selected_paths(info)
        events = _notification_events(
            viewer_id,
            after,
            shape=post_shape(paths, "notification.post"),
            flags=_shows_flags(paths),
        )
        # Its parsed selection (~3 KB) would otherwise live as long as the subscription.
        del info, paths
        async for event in events:
            yield event

    @strawberry.subscription(
        description="New posts that enter the viewer's home feed, as they are published. "
        "Requires sign-in."
    )
    async def home_feed_post_added(self, info: Info) -> AsyncGenerator[PostType, None]:
        viewer_id = info.context.viewer_id
        if viewer_id is None:
            raise unauthenticated()
        paths = selected_paths(info)
        shape, private = post_shape(paths, ""), _reaches_database(paths)
        del info, paths  # as above
        async for post in _home_feed_posts(viewer_id, shape, private=private):
            yield post

    @strawberry.subscription(
        description="The same stream as edges, resumable: each edge's cursor is a homeFeed "
        "cursor.\nWith `after` (from homeFeed or an earlier edge), the posts newer than it "
        "come\nfirst, oldest first, then live ones, with no gap and no duplicate."
    )
    async def home_feed_edge_added(
        self, info: Info, after: str | None = None
    ) -> AsyncGenerator[PostEdge, None]:
        viewer_id = info.context.viewer_id
        if viewer_id is None:
            raise unauthenticated()
        # A bad cursor is refused before anything is subscribed.
        position = None if after is None else _home_position(after)
        paths = selected_paths(info)
        shape, private = post_shape(paths, "node"), _reaches_database(paths)
        del info, paths  # as above
        async for edge in _home_feed_edges(viewer_id, position, shape, private=private):
            yield edge

    @strawberry.subscription(
        description="The viewer's unread count whenever it changes, on every device "
        "(read on one, cleared on all)."
    )
    async def unread_notification_count_changed(self, info: Info) -> AsyncGenerator[int, None]:
        viewer_id = info.context.viewer_id
        if viewer_id is None:
            raise unauthenticated()
        del info
        async for count in _unread_counts(viewer_id):
            yield count
