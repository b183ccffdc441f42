"""Live events over WebSocket: notificationAdded (gapless, resumable) and homeFeedPostAdded.

Each subscription registers with this process's broker BEFORE it reads anything
from the database, so an event committed while it reads is queued, not lost; a
set of the ids already sent drops the duplicates that this overlap produces.
Everything an event needs is loaded before it is yielded, in a read shared with the
other subscriptions of the process (graph/notifications/live.py for notifications, one
load per post for a broadcast), so resolving a selection within what is loaded
(`_in_memory`) touches no database and runs on the event loop without a thread hop.
"""

import asyncio
import copy
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, cast

import strawberry
from strawberry.types.nodes import SelectedField
from strawberry_django.resolvers import resolving_async

from graph.context import Info
from graph.errors import unauthenticated
from graph.execution import share_results, unshare_results
from graph.notifications.live import live_loaders
from graph.notifications.queries import CURSOR_KIND
from graph.pagination import decode_cursor, encode_cursor
from graph.subscription_db import subscription_db
from graph.types.notifications import NotificationEvent, NotificationType
from graph.types.posts import PostType
from notifications.broker import RESYNC, get_broker
from notifications.events import NOTIFICATION, POST, NotificationAdded, PostAdded
from notifications.models import Notification
from notifications.selectors import (
    REPLAY_PAGE,
    notifications_after,
    unread_count,
)
from observability.metrics import EVENT_DELIVERY_SECONDS, EVENTS_DELIVERED
from social.models import Post, User
from social.selectors.flags import likes_and_follows
from social.selectors.posts import annotate_posts_for_viewer

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


def _event(notification: Notification, unread: int) -> NotificationEvent:
    return NotificationEvent(
        cursor=encode_cursor(CURSOR_KIND, [notification.pk]),
        notification=cast(NotificationType, notification),
        unread_notification_count=unread,
    )


@subscription_db
def _replay_page(viewer_id: int, after_id: int) -> tuple[list[Notification], int]:
    return notifications_after(recipient_id=viewer_id, after_id=after_id), unread_count(
        recipient_id=viewer_id
    )


def _delivered(kind: str, committed_at: float | None) -> None:
    EVENTS_DELIVERED.labels(kind=kind).inc()
    if committed_at is not None:
        EVENT_DELIVERY_SECONDS.labels(kind=kind).observe(max(0.0, time.time() - committed_at))


async def _start_id(viewer_id: int, after: str | None) -> int:
    if after is not None:
        return int(decode_cursor(CURSOR_KIND, after, 1)[0])
    return await live_loaders().latest_ids.load(viewer_id)


async def _notification_events(
    viewer_id: int, after: str | None, *, inline: bool, links: bool = True, flags: bool = True
) -> AsyncGenerator[NotificationEvent, None]:
    if inline:
        # Set in the operation's task context, where its results are resolved.
        resolving_async.set(True)
    notifications = live_loaders().notifications
    async with get_broker().subscribe(kind=NOTIFICATION, user_id=viewer_id) as subscription:
        # Subscribed first: whatever commits from here on is queued for us.
        sent = SentIds(await _start_id(viewer_id, after))

        async def replay() -> AsyncGenerator[NotificationEvent, None]:
            while True:
                rows, unread = await _replay_page(viewer_id, sent.high)
                for row in rows:
                    if row.pk not in sent:
                        sent.add(row.pk)
                        yield _event(row, unread)
                if len(rows) < REPLAY_PAGE:
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
                (item.notification_id, viewer_id, links, flags)
            )
            if notification is None:
                continue
            sent.add(notification.pk)
            _delivered(NOTIFICATION, item.committed_at)
            yield _event(notification, unread)


# Up to this many local recipients, each gets the post read for them alone; above,
# one read of the post plus one query per viewer flag serves them all.
FEW_VIEWERS = 3


def _copy_user(user: User, viewer_id: int, flags: "_Flags") -> User:
    clone = copy.copy(user)  # Model pickling: own _state and fields_cache, shared values
    clone.viewer_follows = (viewer_id, user.pk) in flags.follows  # type: ignore[attr-defined]
    clone.follows_viewer = (user.pk, viewer_id) in flags.followed_by  # type: ignore[attr-defined]
    return clone


def _with_results(queryset: Any, rows: list[Any]) -> Any:
    """A prefetched queryset of its own holding `rows`, as prefetch_related leaves one."""
    own = queryset._chain()
    own._result_cache = rows
    own._prefetch_done = True
    return own


def _copy_post(post: Post, viewer_id: int, flags: "_Flags") -> Post:
    """The shared post as `viewer_id` sees it: every viewer flag set, so no resolver queries
    (or writes a cached flag onto an object another viewer shares)."""
    clone = copy.copy(post)
    unshare_results(clone)
    clone.viewer_has_liked = (viewer_id, post.pk) in flags.likes  # type: ignore[attr-defined]
    cache = clone._state.fields_cache
    if cache.get("author") is not None:
        cache["author"] = _copy_user(cache["author"], viewer_id, flags)
    if cache.get("reply_to") is not None:
        cache["reply_to"] = _copy_post(cache["reply_to"], viewer_id, flags)
    prefetched = getattr(post, "_prefetched_objects_cache", None)
    if prefetched is not None:
        clone._prefetched_objects_cache = {  # type: ignore[attr-defined]
            name: _with_results(rows, list(rows)) for name, rows in prefetched.items()
        }
        links = prefetched.get("mention_links")
        if links is not None:
            mine = []
            for link in links:
                link_clone = copy.copy(link)
                link_clone._state.fields_cache["user"] = _copy_user(link.user, viewer_id, flags)
                mine.append(link_clone)
            clone._prefetched_objects_cache["mention_links"] = _with_results(links, mine)  # type: ignore[attr-defined]
    return clone


class _Flags:
    """The viewer flags of one post for many viewers, in two queries for all of them."""

    def __init__(self, post: Post, viewer_ids: list[int]) -> None:
        people = {post.author_id, *(link.user_id for link in post.mention_links.all())}
        self.people = people
        liked = [post.pk]
        if post.reply_to_id is not None and post.reply_to is not None:
            people.add(post.reply_to.author_id)
            liked.append(post.reply_to_id)
        self.likes, follows = likes_and_follows(
            viewer_ids=viewer_ids, post_ids=liked, people=people
        )
        viewers = set(viewer_ids)
        self.follows = {(v, u) for v, u in follows if v in viewers and u in people}
        self.followed_by = {(u, v) for u, v in follows if u in people and v in viewers}
        mine: dict[int, tuple[set[int], set[int], set[int]]] = {}
        for index, pairs in enumerate((self.likes, self.follows)):
            for viewer_id, other in pairs:
                mine.setdefault(viewer_id, (set(), set(), set()))[index].add(other)
        for other, viewer_id in self.followed_by:
            mine.setdefault(viewer_id, (set(), set(), set()))[2].add(other)
        self._mine = {v: tuple(frozenset(s) for s in sets) for v, sets in mine.items()}

    def key(self, viewer_id: int) -> tuple[frozenset[int], ...]:
        """Equal for two viewers exactly when every flag of the post is equal for them."""
        return self._mine.get(viewer_id, _NO_FLAGS)


_NO_FLAGS: tuple[frozenset[int], ...] = (frozenset(), frozenset(), frozenset())


@dataclass
class _Loaded:
    """One event's post for every local viewer.

    Viewers whose flags are all equal share one object in `posts`; `flags` (None when
    each viewer's post was read for them alone) lets a subscription take a copy of its own.
    """

    posts: dict[int, Post]
    flags: _Flags | None = None


def _post_with_links(post_id: int, *, viewer_id: int | None) -> Post | None:
    """The post with author, parent, tags and mentions all in memory (see _POST_IN_MEMORY)."""
    visible = Post.objects.filter(pk=post_id, author__is_active=True)
    return annotate_posts_for_viewer(visible, viewer_id=viewer_id).first()


@subscription_db
def _posts_for_viewers(post_id: int, viewer_ids: list[int]) -> _Loaded:
    """The post as each local viewer sees it, in one thread hop and a fixed number of queries."""
    if len(viewer_ids) <= FEW_VIEWERS:
        posts = {v: _post_with_links(post_id, viewer_id=v) for v in viewer_ids}
        return _Loaded({v: p for v, p in posts.items() if p is not None})
    base = _post_with_links(post_id, viewer_id=None)
    if base is None:
        return _Loaded({})
    flags = _Flags(base, viewer_ids)
    # One copy per distinct set of flags, not per viewer: a popular author's followers
    # fall into a handful of groups, and copying the post for each of thousands of them
    # was most of this hop (which every one of them waits for).
    # Those who appear in the post (author, parent's author, mentioned) get a copy of their
    # own: it shows them their own email, so its result cannot be shared (graph/execution.py).
    copies: dict[tuple[tuple[frozenset[int], ...], int | None], Post] = {}
    shared: dict[int, Post] = {}
    for v in viewer_ids:
        key = (flags.key(v), v if v in flags.people else None)
        post = copies.get(key)
        if post is None:
            post = copies[key] = _copy_post(base, v, flags)
            share_results(post)
        shared[v] = post
    return _Loaded(shared, flags)


async def _post_for(event: PostAdded, viewer_id: int, *, private: bool) -> Post | None:
    """This viewer's post; the first subscription to ask loads it for all.

    `private`: the selection may reach the database, whose resolvers cache what they read
    (a lazily loaded relation, its viewer flags) on the objects: it gets a copy of its own
    instead of the one it shares with the viewers whose flags equal its own.
    """
    task: asyncio.Task[_Loaded] | None = event.shared.get("task")
    if task is None:
        task = asyncio.ensure_future(_posts_for_viewers(event.post_id, event.local_users))
        event.shared["task"] = task
    # Shielded: one cancelled subscriber must not cancel the load its siblings await.
    loaded = task.result() if task.done() else await asyncio.shield(task)
    post = loaded.posts.get(viewer_id)
    if post is None or not private or loaded.flags is None:
        return post
    return _copy_post(post, viewer_id, loaded.flags)


# What _copy_post holds in memory, by GraphQL field: a selection within these needs no
# database, so its django resolvers may run inline instead of one thread hop each (the
# hop, queued behind every other subscriber's, was most of a broadcast's cost).
_USER_IN_MEMORY: dict[str, Any] = dict.fromkeys(
    [
        "__typename",
        "id",
        "username",
        "displayName",
        "bio",
        "avatarUrl",
        "dateJoined",
        "email",
        "followerCount",
        "followingCount",
        "postCount",
        "viewerFollows",
        "followsViewer",
    ]
)
_POST_SCALARS = "__typename id body createdAt editedAt replyCount likeCount viewerHasLiked"
_PARENT_IN_MEMORY: dict[str, Any] = dict.fromkeys(_POST_SCALARS.split()) | {
    "author": _USER_IN_MEMORY
}
_POST_IN_MEMORY: dict[str, Any] = _PARENT_IN_MEMORY | {
    "hashtags": None,
    "mentions": _USER_IN_MEMORY,
    "replyTo": _PARENT_IN_MEMORY,
}


# What the notification reads (`live_notifications`, `notifications_after`) hold in memory.
_NOTIFICATION_IN_MEMORY: dict[str, Any] = dict.fromkeys(
    ["__typename", "id", "kind", "createdAt", "read"]
) | {"actor": _USER_IN_MEMORY, "post": _POST_IN_MEMORY}
_EVENT_IN_MEMORY: dict[str, Any] = dict.fromkeys(
    ["__typename", "cursor", "unreadNotificationCount"]
) | {"notification": _NOTIFICATION_IN_MEMORY}


_LINK_FIELDS = frozenset({"hashtags", "mentions"})
_FLAG_FIELDS = frozenset({"viewerHasLiked", "viewerFollows", "followsViewer"})


def _names(selections: list[Any]) -> set[str]:
    """Every field name in an in-memory selection (plain fields only: see _in_memory)."""
    names: set[str] = set()
    for selection in selections:
        names.add(selection.name)
        names |= _names(selection.selections)
    return names


def _in_memory(selections: list[Any], allowed: dict[str, Any]) -> bool:
    for selection in selections:
        # Fragments and anything unknown take the safe path (a thread hop per field).
        if not isinstance(selection, SelectedField) or selection.name not in allowed:
            return False
        nested = allowed[selection.name]
        if selection.selections and (
            nested is None or not _in_memory(selection.selections, nested)
        ):
            return False
    return True


async def _home_feed_posts(viewer_id: int, *, inline: bool) -> AsyncGenerator[PostType, None]:
    if inline:
        # Set in the operation's task context, where its results are resolved.
        resolving_async.set(True)
    async with get_broker().subscribe(kind=POST, user_id=viewer_id) as subscription:
        while True:
            item: Any = await subscription.get()
            # Live only (the home feed itself is the catch-up), so a resync reads nothing.
            if not isinstance(item, PostAdded):
                continue
            post = await _post_for(item, viewer_id, private=not inline)
            if post is not None:
                _delivered(POST, item.committed_at)
                yield cast(PostType, post)


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
            # A bad cursor is refused before anything is subscribed.
            decode_cursor(CURSOR_KIND, after, 1)
        selections = info.selected_fields[0].selections
        inline = _in_memory(selections, _EVENT_IN_MEMORY)
        # In memory, the selection names all it reads: the live read skips what it shows not.
        names = _names(selections) if inline else None
        events = _notification_events(
            viewer_id,
            after,
            inline=inline,
            links=names is None or bool(names & _LINK_FIELDS),
            flags=names is None or bool(names & _FLAG_FIELDS),
        )
        # Its parsed selection (~3 KB) would otherwise live as long as the subscription.
        del info, selections
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
        inline = _in_memory(info.selected_fields[0].selections, _POST_IN_MEMORY)
        del info  # as above
        async for post in _home_feed_posts(viewer_id, inline=inline):
            yield post
