"""Notifications are written by the social services, inside their transaction.

Each function names the recipients, writes the rows, and hands them to
`notifications.events`, which publishes them only after the transaction commits.
"""

from collections.abc import Collection, Sequence

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from notifications import events
from notifications.models import Notification, NotificationKind
from social.models import Post, User
from social.visibility import hidden_post_pairs


def notify_followed(*, follower: User, followee: User) -> Notification | None:
    if follower.pk == followee.pk:
        return None
    notification = Notification.objects.create(
        recipient=followee, actor=follower, kind=NotificationKind.FOLLOW
    )
    events.publish_notifications([notification])
    return notification


def notify_follow_requested(*, requester: User, target: User) -> Notification:
    notification = Notification.objects.create(
        recipient=target, actor=requester, kind=NotificationKind.FOLLOW_REQUEST
    )
    events.publish_notifications([notification])
    return notification


def notify_follow_accepted(*, target: User, requester_ids: Collection[int]) -> list[Notification]:
    """FOLLOW_ACCEPTED from the target to each requester it accepted."""
    created = Notification.objects.bulk_create(
        Notification(recipient_id=pk, actor=target, kind=NotificationKind.FOLLOW_ACCEPTED)
        for pk in requester_ids
        if pk != target.pk
    )
    events.publish_notifications(created)
    return created


def follow_request_notifications_delete(*, pairs: Collection[tuple[int, int]]) -> None:
    """The unread FOLLOW_REQUEST notifications of these (requester, target) pairs: a
    request gone before it was seen leaves nothing to see."""
    which = Q()
    for requester_id, target_id in pairs:
        which |= Q(actor_id=requester_id, recipient_id=target_id)
    Notification.objects.filter(
        which, kind=NotificationKind.FOLLOW_REQUEST, read_at__isnull=True
    ).delete()


def notify_liked(*, liker: User, post: Post) -> Notification | None:
    """One LIKE per liker and post, however often it is liked, unliked and liked again."""
    if liker.pk == post.author_id:
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
    """REPLY to the parent's author and MENTION to each mentioned user, never twice, never
    self, and only to those who may see the post (a locked author's reach its followers).

    Also announces the post to the home feeds it enters.
    """
    rows: list[Notification] = []
    notified: set[int] = {post.author_id}
    parent_author_id = post.reply_to.author_id if post.reply_to_id and post.reply_to else None
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
    hidden = hidden_post_pairs(
        viewer_ids={n.recipient_id for n in rows}, author_ids=[post.author_id]
    )
    rows = [n for n in rows if (n.recipient_id, post.author_id) not in hidden]
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
