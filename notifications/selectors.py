"""Reads of notifications, each ready for its recipient (actor and post with viewer flags)."""

from django.db.models import Prefetch, QuerySet

from notifications.models import Notification
from social.models import Post, User
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


def latest_notification_id(*, recipient_id: int) -> int:
    """The newest notification id of the recipient (0 when they have none)."""
    latest = (
        Notification.objects.filter(recipient_id=recipient_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return latest or 0


def unread_count(*, recipient_id: int) -> int:
    return Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True).count()
