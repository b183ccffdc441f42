"""Reads of notifications, each ready for its recipient (actor and post with viewer flags)."""

import copy
from collections.abc import Collection, Iterable, Sequence

from django.db.models import Count, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from notifications.models import Notification
from social.models import Post, PostHashtag, PostMention, User
from social.selectors.flags import likes_and_follows
from social.selectors.posts import annotate_posts_for_viewer
from social.selectors.users import annotate_users_for_viewer

NEWEST_FIRST = ("-id",)
# A replay page: how many backlog rows one database round trip reads.
REPLAY_PAGE = 100


def _with_related(queryset: QuerySet[Notification], *, viewer_id: int) -> QuerySet[Notification]:
    """Actor and post fetched as the recipient sees them, in a fixed number of queries."""
    return queryset.prefetch_related(
        Prefetch(
            "actor",
            queryset=annotate_users_for_viewer(User.objects.all(), viewer_id=viewer_id),
        ),
        Prefetch(
            "post", queryset=annotate_posts_for_viewer(Post.objects.all(), viewer_id=viewer_id)
        ),
    )


def notifications_for(*, recipient_id: int, unread_only: bool = False) -> QuerySet[Notification]:
    """The recipient's notifications; page with NEWEST_FIRST."""
    queryset = Notification.objects.filter(recipient_id=recipient_id)
    if unread_only:
        queryset = queryset.filter(read_at__isnull=True)
    return _with_related(queryset, viewer_id=recipient_id)


def notification_by_id(*, notification_id: int, recipient_id: int) -> Notification | None:
    """One notification, only for its recipient (None for anyone else)."""
    return notifications_for(recipient_id=recipient_id).filter(pk=notification_id).first()


def notifications_after(*, recipient_id: int, after_id: int | None) -> list[Notification]:
    """Up to REPLAY_PAGE notifications newer than `after_id`, oldest first (a replay page)."""
    queryset = notifications_for(recipient_id=recipient_id)
    if after_id is not None:
        queryset = queryset.filter(pk__gt=after_id)
    return list(queryset.order_by("id")[:REPLAY_PAGE])


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


def unread_count(*, recipient_id: int) -> int:
    return Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True).count()


def live_notifications(
    *, keys: Collection[tuple[int, int]], links: bool = True, flags: bool = True
) -> dict[tuple[int, int], Notification]:
    """The notifications named by (id, recipient id), each as its own recipient sees it.

    What `notifications_for` gives one recipient, for many at once and in a fixed number of
    queries however many there are: actor, post, the post's author, parent and parent's
    author, tags and mentions, with every viewer flag set for the row's recipient, and the
    recipient's unread count as `recipient_unread`. Built for the live path, where one
    process delivers many users' notifications at the same moment: per-recipient querysets
    (six Exists() annotations each) made every delivery wait behind the others. Without
    `links` (tags, mentions) or `flags` (viewer flags), two queries fewer each: for a
    subscription that selects none of them. A key whose recipient is not the row's
    recipient is left out.
    """
    unread = (
        Notification.objects.filter(recipient_id=OuterRef("recipient_id"), read_at__isnull=True)
        .order_by()
        .values("recipient_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    queryset = (
        Notification.objects.filter(pk__in={pk for pk, _ in keys})
        .select_related("actor", "post__author", "post__reply_to__author")
        .annotate(recipient_unread=Coalesce(Subquery(unread), 0))
    )
    if links:
        queryset = queryset.prefetch_related(
            Prefetch("post__hashtag_links", queryset=PostHashtag.objects.order_by("position")),
            Prefetch(
                "post__mention_links",
                queryset=PostMention.objects.select_related("user").order_by("position"),
            ),
        )
    wanted = set(keys)
    rows = [row for row in queryset if (row.pk, row.recipient_id) in wanted]
    if flags:
        _set_viewer_flags(rows, links=links)
    return {(row.pk, row.recipient_id): row for row in rows}


def _posts_of(row: Notification) -> Iterable[Post]:
    post = row.post
    if post is not None:
        yield post
        if post.reply_to_id is not None and post.reply_to is not None:
            yield post.reply_to


def _set_viewer_flags(rows: Sequence[Notification], *, links: bool) -> None:
    """Sets each row's viewer flags for its recipient, from two queries for all rows.

    The resolvers read these attributes (`fetched_flag`) instead of querying. Mention links
    are prefetched once per post and shared by the rows of that post, so each row gets its
    own copies before its recipient's flags are written on them.
    """
    if not rows:
        return
    recipients = {row.recipient_id for row in rows}
    posts = [post for row in rows for post in _posts_of(row)]
    mentioned = [row for row in rows if links and row.post is not None]
    for row in mentioned:
        cached = row.post._prefetched_objects_cache["mention_links"]  # type: ignore[union-attr]
        owned = []
        for link in cached:
            mine = copy.copy(link)
            mine._state.fields_cache["user"] = copy.copy(link.user)
            owned.append(mine)
        cached._result_cache = owned
    people: set[int] = set()
    for row in rows:
        people.add(row.actor_id)
        people.update(post.author_id for post in _posts_of(row))
    for row in mentioned:
        people.update(link.user_id for link in row.post.mention_links.all())  # type: ignore[union-attr]
    liked, follows = likes_and_follows(
        viewer_ids=recipients, post_ids={post.pk for post in posts}, people=people
    )

    def set_user(user: User, viewer_id: int) -> None:
        user.viewer_follows = (viewer_id, user.pk) in follows  # type: ignore[attr-defined]
        user.follows_viewer = (user.pk, viewer_id) in follows  # type: ignore[attr-defined]

    for row in rows:
        viewer_id = row.recipient_id
        set_user(row.actor, viewer_id)
        for post in _posts_of(row):
            post.viewer_has_liked = (viewer_id, post.pk) in liked  # type: ignore[attr-defined]
            set_user(post.author, viewer_id)
    for row in mentioned:
        for link in row.post.mention_links.all():  # type: ignore[union-attr]
            set_user(link.user, row.recipient_id)
