"""Reads of notifications, each as its recipient sees it (`NotificationView`).

The actor and the post come from the read model (social/reads/) like every other user and
post, so a notification shows them exactly as a feed would; a notification whose actor the
recipient may not see is left out, and its post reads null when hidden."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, OuterRef, Subquery
from django.utils import timezone

from notifications.models import Notification
from social.models import Mute, User
from social.reads.flags import (
    follow_requested_sql,
    follows_viewer_sql,
    locked_of,
    many_viewers,
    people_of,
    post_with_viewer,
    posts_of,
    user_with_viewer,
    viewer_follows_sql,
)
from social.reads.posts import ARG, USER_COLUMNS, Host, hosted_posts, time_reader, user_from_row
from social.reads.views import FULL_SHAPE, PostShape, PostView, UserView
from social.visibility import (
    notifications_q,
    notifications_sql,
    users_q,
    users_sql,
    viewer_mutes_sql,
)

# A replay page: how many backlog rows one database round trip reads.
REPLAY_PAGE = 100

_NOTIFICATION = Notification._meta.db_table
_USER = User._meta.db_table


@dataclass(slots=True)
class NotificationView:
    """A notification as its recipient sees it: actor and post as any other read shows them."""

    id: int
    kind: str
    created_at: datetime
    read: bool
    actor: UserView
    post: PostView | None

    @property
    def pk(self) -> int:
        return self.id


# n.id, n.kind, n.created_at, n.read_at, n.recipient_id, the unread count (live only),
# then the actor's USER_COLUMNS and their four flags (NULL for a read without a viewer).
def _host(
    key: Any, *, where: str, tail: str = "", where_params: tuple[Any, ...], live: bool
) -> Host:
    actor = users_sql(user="a")
    shown = notifications_sql(notification="n")
    # What `unread_count` counts, for each row's recipient.
    counted = users_sql(user="ca")
    counted_shown = notifications_sql(notification="c")
    unread = (
        f"(SELECT COUNT(*) FROM {_NOTIFICATION} c JOIN {_USER} ca ON ca.id = c.actor_id "  # noqa: S608
        f"WHERE c.recipient_id = n.recipient_id AND c.read_at IS NULL AND {counted.sql} "
        f"AND {counted_shown.sql})"
        if live
        else "0"
    )
    follows = viewer_follows_sql(user="a.id")
    followed = follows_viewer_sql(user="a.id")
    mutes = viewer_mutes_sql(user="a.id")
    requested = follow_requested_sql(user="a.id")
    flags = (
        ("NULL", "NULL", "NULL", "NULL")
        if live
        else (follows.sql, followed.sql, mutes.sql, requested.sql)
    )
    return Host(
        key=key,
        columns=(
            "n.id",
            "n.kind",
            "n.created_at",
            "n.read_at",
            "n.recipient_id",
            unread,
            *(f"a.{name}" for name in USER_COLUMNS),
            *flags,
        ),
        column_params=(*counted.params, *counted_shown.params)
        if live
        else (*follows.params, *followed.params, *mutes.params, *requested.params),
        tables=f"{_NOTIFICATION} n JOIN {_USER} a ON a.id = n.actor_id AND {actor.sql} "
        f"AND {shown.sql}",
        table_params=(*actor.params, *shown.params),
        post_ref="n.post_id",
        where=where,
        tail=tail,
        where_params=where_params,
    )


_ACTOR = 6  # where the actor's columns start
_FLAGS = _ACTOR + len(USER_COLUMNS)


def _view(
    head: Sequence[Any], post: PostView | None, viewer_id: int | None, time: Any
) -> NotificationView:
    actor = user_from_row(
        head,
        _ACTOR,
        viewer_id,
        keep_email=False,
        viewer_follows=_FLAGS,
        follows_viewer=_FLAGS + 1,
        time=time,
        viewer_mutes=_FLAGS + 2,
        follow_requested=_FLAGS + 3,
    )
    return NotificationView(head[0], head[1], time(head[2]), head[3] is not None, actor, post)


def _page_host(unread_only: bool, after: bool, size: int) -> Host:
    where = "n.recipient_id = %s"
    params: tuple[Any, ...] = (ARG,)
    if unread_only:
        where += " AND n.read_at IS NULL"
    if after:
        where += " AND n.id < %s"
        params += (ARG,)
    return _host(
        ("notifications", unread_only, after, size),
        where=where,
        tail=f"ORDER BY n.id DESC LIMIT {int(size)}",
        where_params=params,
        live=False,
    )


def notification_page(
    *,
    recipient_id: int,
    unread_only: bool = False,
    size: int,
    after_id: int | None = None,
    shape: PostShape = FULL_SHAPE,
) -> list[NotificationView]:
    """Up to `size` of the recipient's notifications, newest first, older than `after_id`."""
    host = _page_host(unread_only, after_id is not None, size)
    args = [recipient_id] if after_id is None else [recipient_id, after_id]
    rows = hosted_posts(host, args, viewer_id=recipient_id, shape=shape)
    time = time_reader()
    return [_view(head, post, recipient_id, time) for head, post in rows]


def notification_by_id(
    *, notification_id: int, recipient_id: int, shape: PostShape = FULL_SHAPE
) -> NotificationView | None:
    """One notification, only for its recipient (None for anyone else)."""
    host = _host(
        "notification",
        where="n.id = %s AND n.recipient_id = %s",
        where_params=(ARG, ARG),
        live=False,
    )
    rows = hosted_posts(host, [notification_id, recipient_id], viewer_id=recipient_id, shape=shape)
    time = time_reader()
    return next((_view(head, post, recipient_id, time) for head, post in rows), None)


def notifications_after(
    *, recipient_id: int, after_id: int | None, shape: PostShape = FULL_SHAPE
) -> tuple[list[NotificationView], int]:
    """Up to REPLAY_PAGE notifications newer than `after_id`, oldest first (a replay page),
    and how many rows that page read (fewer than REPLAY_PAGE: the last page)."""
    host = _host(
        ("replay", REPLAY_PAGE),
        where="n.recipient_id = %s AND n.id > %s",
        tail=f"ORDER BY n.id LIMIT {REPLAY_PAGE}",
        where_params=(ARG, ARG),
        live=False,
    )
    rows = hosted_posts(host, [recipient_id, after_id or 0], viewer_id=recipient_id, shape=shape)
    time = time_reader()
    return [_view(head, post, recipient_id, time) for head, post in rows], len(rows)


def latest_notification_ids(*, recipient_ids: Collection[int]) -> dict[int, int]:
    """The newest notification id of each recipient (0 for none), in one query: one index
    probe per recipient, where a max() would read all of a popular user's rows."""
    newest = Notification.objects.filter(recipient_id=OuterRef("pk")).order_by("-id").values("id")
    found = (
        User.objects.filter(pk__in=recipient_ids)
        .annotate(latest=Subquery(newest[:1]))
        .values_list("pk", "latest")
    )
    return dict.fromkeys(recipient_ids, 0) | {pk: latest or 0 for pk, latest in found}


def is_another_users(*, notification_id: int, recipient_id: int) -> bool:
    """Whether this notification exists and is someone else's (a cursor not theirs to use)."""
    return (
        Notification.objects.filter(pk=notification_id).exclude(recipient_id=recipient_id).exists()
    )


def unread_count(*, recipient_id: int) -> int:
    """Unread notifications the recipient may see (their actor visible, not muted), as listed."""
    return unread_counts(recipient_ids=[recipient_id])[recipient_id]


def unread_counts(*, recipient_ids: Collection[int]) -> dict[int, int]:
    """`unread_count` of each recipient, in one query however many (the live side's)."""
    counted = (
        Notification.objects.filter(
            # The actor's rule has no viewer in it: one form for every recipient.
            users_q(viewer_id=None, prefix="actor__"),
            notifications_q(),
            recipient_id__in=recipient_ids,
            read_at__isnull=True,
        )
        .values("recipient_id")
        .annotate(unread=Count("id"))
        .values_list("recipient_id", "unread")
    )
    return dict.fromkeys(recipient_ids, 0) | dict(counted)


def next_mute_expiries(*, recipient_ids: Collection[int]) -> dict[int, float]:
    """When each recipient's next timed mute that hides notifications ends (epoch seconds;
    absent: none): their unread count may grow then, with nothing published (the live
    side counts again at that moment)."""
    rows = (
        Mute.objects.filter(
            muter_id__in=recipient_ids, notifications=True, expires_at__gt=timezone.now()
        )
        .values("muter_id")
        .annotate(first=Min("expires_at"))
        .values_list("muter_id", "first")
    )
    return {muter_id: first.timestamp() for muter_id, first in rows}


def live_notifications(
    *, keys: Collection[tuple[int, int]], shape: PostShape = FULL_SHAPE, flags: bool = True
) -> dict[tuple[int, int], tuple[NotificationView, int]]:
    """The notifications named by (id, recipient id), each as its own recipient sees it,
    with that recipient's unread count.

    For the live side, where one process delivers many users' notifications at the same
    moment: the rows with their actors and posts are read once for everyone, and every
    recipient's flags in one query for all (`many_viewers`), however many there are.
    A key whose recipient is not the row's recipient is left out, and so is a row whose
    actor its recipient may not see. Without `flags` (for selections that show no viewer
    flag), every flag reads false and that query is saved."""
    ids = sorted({pk for pk, _ in keys})
    if not ids:
        return {}
    host = _host(
        ("live", len(ids)),
        where=f"n.id IN ({', '.join(['%s'] * len(ids))})",
        where_params=(ARG,) * len(ids),
        live=True,
    )
    wanted = set(keys)
    rows = [
        (head, post)
        for head, post in hosted_posts(host, ids, viewer_id=None, shape=shape, keep_emails=True)
        if (head[0], head[4]) in wanted
    ]
    if not rows:
        return {}
    time = time_reader()
    people = {head[_ACTOR] for head, _ in rows}
    post_ids: set[int] = set()
    locked: set[int] = set()
    # An actor was checked for blocks with its recipient when the notification was made:
    # only others that a post shows (a parent's author, a mention) need the check.
    blocks_checked = True
    for head, post in rows:
        if post is not None:
            shown = people_of(post)
            blocks_checked = blocks_checked and shown <= {head[_ACTOR], head[4]}
            people |= shown
            post_ids.update(posts_of(post))
            locked |= locked_of(post)
    seen = many_viewers(
        viewer_ids={head[4] for head, _ in rows},
        post_ids=post_ids,
        people=people,
        locked=locked,
        flags=flags,
        blocks_checked=blocks_checked,
    )
    loaded = {}
    for head, base_post in rows:
        recipient_id = head[4]
        base = _view(head, base_post, None, time)
        actor = user_with_viewer(base.actor, recipient_id, seen)
        if actor is None:
            continue
        post = None if base_post is None else post_with_viewer(base_post, recipient_id, seen)
        view = NotificationView(base.id, base.kind, base.created_at, base.read, actor, post)
        loaded[(base.id, recipient_id)] = (view, head[5])
    return loaded
