"""Notifications are written by the social services, inside their transaction.

Each function names the recipients, writes the rows, and hands them to
`notifications.events`, which publishes them only after the transaction commits.
"""

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications import events
from notifications.models import Notification, NotificationKind
from social.models import Post, User
from social.visibility import blocked_between


def notify_followed(*, follower: User, followee: User) -> Notification | None:
    if follower.pk == followee.pk or blocked_between(user_id=follower.pk, other_ids=[followee.pk]):
        return None
    notification = Notification.objects.create(
        recipient=followee, actor=follower, kind=NotificationKind.FOLLOW
    )
    events.publish_notifications([notification])
    return notification


def notify_liked(*, liker: User, post: Post) -> Notification | None:
    """One LIKE per liker and post, however often it is liked, unliked and liked again."""
    if liker.pk == post.author_id or blocked_between(user_id=liker.pk, other_ids=[post.author_id]):
        return None
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient_id=post.author_id, actor=liker, kind=NotificationKind.LIKE, post=post
            )
    except IntegrityError:
        return None
    events.publish_notifications([notification])
    return notification


def notify_post_created(*, post: Post, mentioned: Sequence[User]) -> list[Notification]:
    """REPLY to the parent's author and MENTION to each mentioned user, never twice, never self,
    never to one who blocked the author or whom the author blocked.

    Also announces the post to the home feeds it enters.
    """
    rows: list[Notification] = []
    parent_author_id = post.reply_to.author_id if post.reply_to_id and post.reply_to else None
    candidates = {user.pk for user in mentioned}
    if parent_author_id is not None:
        candidates.add(parent_author_id)
    notified: set[int] = {
        post.author_id,
        *blocked_between(user_id=post.author_id, other_ids=candidates),
    }
    if parent_author_id is not None and parent_author_id not in notified:
        rows.append(
            Notification(
                recipient_id=parent_author_id,
                actor_id=post.author_id,
                kind=NotificationKind.REPLY,
                post=post,
            )
        )
        notified.add(parent_author_id)
    for user in mentioned:
        if user.pk not in notified:
            rows.append(
                Notification(
                    recipient=user,
                    actor_id=post.author_id,
                    kind=NotificationKind.MENTION,
                    post=post,
                )
            )
            notified.add(user.pk)
    created = [
        Notification.objects.create(
            recipient_id=n.recipient_id, actor_id=n.actor_id, kind=n.kind, post=n.post
        )
        for n in rows
    ]
    events.publish_notifications(created)
    events.publish_post_created(post)
    return created


def notifications_mark_read(*, recipient: User, ids: Sequence[int] | None) -> list[int]:
    """Marks the recipient's notifications read (all when `ids` is None).

    Returns the ids that are not the recipient's notifications; those change nothing.
    """
    unread = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if ids is None:
        unread.update(read_at=timezone.now())
        return []
    wanted = set(ids)
    owned = set(
        Notification.objects.filter(recipient=recipient, pk__in=wanted).values_list("pk", flat=True)
    )
    unread.filter(pk__in=owned).update(read_at=timezone.now())
    return [pk for pk in ids if pk not in owned]
