"""Notifications are written by the social services, inside their transaction.

Each function names the recipients, writes the rows, and hands them to
`notifications.events`, which publishes them only after the transaction commits.
A recipient who muted the actor with notifications, or who blocked the actor or was
blocked by them (social/visibility.py `notification_withheld`), is left out, whatever the
kind: nothing is stored, counted or pushed for them.
"""

import logging
from collections.abc import Collection, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from notifications import events
from notifications.models import Notification, NotificationKind
from social import cache_outage
from social.models import Post, User
from social.visibility import hidden_post_pairs, notification_withheld

logger = logging.getLogger(__name__)


def notify_followed(*, follower: User, followee: User) -> Notification | None:
    """FOLLOW, at most once per follower and followee within NOTIFICATION_REPEAT_WINDOW,
    so follow -> unfollow -> follow does not notify twice."""
    if follower.pk == followee.pk:
        return None
    if notification_withheld(actor_id=follower.pk, recipient_ids=[followee.pk]):
        return None
    since = timezone.now() - timedelta(seconds=settings.NOTIFICATION_REPEAT_WINDOW)
    if Notification.objects.filter(
        recipient=followee, actor=follower, kind=NotificationKind.FOLLOW, created_at__gte=since
    ).exists():
        return None
    notification = Notification.objects.create(
        recipient=followee, actor=follower, kind=NotificationKind.FOLLOW
    )
    events.publish_notifications([notification])
    return notification


def notify_follow_requested(*, requester: User, target: User) -> Notification | None:
    """FOLLOW_REQUEST to the locked target, unless it withholds the requester's notifications;
    at most once per requester and target within
    NOTIFICATION_REPEAT_WINDOW, as FOLLOW: asking, withdrawing and asking again does not tell
    the target twice (a withdrawn request's unread notification is gone, so asking again
    after that is told again; a read one still stands for it)."""
    if notification_withheld(actor_id=requester.pk, recipient_ids=[target.pk]):
        return None
    since = timezone.now() - timedelta(seconds=settings.NOTIFICATION_REPEAT_WINDOW)
    if Notification.objects.filter(
        recipient=target,
        actor=requester,
        kind=NotificationKind.FOLLOW_REQUEST,
        created_at__gte=since,
    ).exists():
        return None
    notification = Notification.objects.create(
        recipient=target, actor=requester, kind=NotificationKind.FOLLOW_REQUEST
    )
    events.publish_notifications([notification])
    return notification


def notify_follow_accepted(*, target: User, requester_ids: Collection[int]) -> list[Notification]:
    """FOLLOW_ACCEPTED from the target to each requester it accepted, but those who
    withhold the target's notifications."""
    recipients = {pk for pk in requester_ids if pk != target.pk}
    recipients -= notification_withheld(actor_id=target.pk, recipient_ids=recipients)
    created = Notification.objects.bulk_create(
        Notification(recipient_id=pk, actor=target, kind=NotificationKind.FOLLOW_ACCEPTED)
        for pk in requester_ids
        if pk in recipients
    )
    events.publish_notifications(created)
    return created


def follow_request_notifications_delete(*, pairs: Collection[tuple[int, int]]) -> None:
    """The unread FOLLOW_REQUEST notifications of these (requester, target) pairs: a
    request gone before it was seen leaves nothing to see."""
    which = Q()
    for requester_id, target_id in pairs:
        which |= Q(actor_id=requester_id, recipient_id=target_id)
    rows = list(
        Notification.objects.filter(
            which, kind=NotificationKind.FOLLOW_REQUEST, read_at__isnull=True
        ).values_list("pk", "recipient_id")
    )
    if rows:
        Notification.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
        events.publish_unread_changed({recipient for _, recipient in rows})


def notify_liked(*, liker: User, post: Post) -> Notification | None:
    """One LIKE per liker and post, however often it is liked, unliked and liked again.

    Like -> unlike -> like within NOTIFICATION_REPEAT_WINDOW brings the withdrawn
    notification back under its own id: a live subscription that already delivered that
    id skips it (graph/notifications/subscriptions.py), so the recipient is told once.
    """
    if liker.pk == post.author_id:
        return None
    if notification_withheld(actor_id=liker.pk, recipient_ids=[post.author_id]):
        return None
    withdrawn = _recently_withdrawn(liker=liker, post=post)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                pk=withdrawn["id"] if withdrawn else None,
                recipient_id=post.author_id,
                actor=liker,
                kind=NotificationKind.LIKE,
                post=post,
            )
            if withdrawn:
                Notification.objects.filter(pk=notification.pk).update(
                    created_at=withdrawn["created_at"]
                )
    except IntegrityError:
        return None
    events.publish_notifications([notification])
    return notification


def _withdrawn_key(*, liker: User, post: Post) -> str:
    return f"like-withdrawn:{liker.pk}:{post.pk}"


def _recently_withdrawn(*, liker: User, post: Post) -> dict[str, Any] | None:
    """The id and date of the LIKE notification an unlike removed within the window."""
    found = cache_outage.attempt(
        lambda: cache.get(_withdrawn_key(liker=liker, post=post)),
        fallback=None,
        log=logger,
        failure="could not read a withdrawn like from the cache",
    )
    return found if isinstance(found, dict) else None


def withdraw_like_notification(*, liker: User, post: Post) -> int:
    """Unlike: removes the unread LIKE it caused (a read one stays: it was seen)."""
    unread = Notification.objects.filter(
        kind=NotificationKind.LIKE, actor=liker, post=post, read_at__isnull=True
    )
    rows = list(unread.values("pk", "created_at"))
    deleted, _ = Notification.objects.filter(pk__in=[row["pk"] for row in rows]).delete()
    if deleted:
        events.publish_unread_changed([post.author_id])
    if rows:
        remembered = {"id": rows[0]["pk"], "created_at": rows[0]["created_at"]}
        transaction.on_commit(lambda: _remember_withdrawn(liker=liker, post=post, row=remembered))
    return deleted


def _remember_withdrawn(*, liker: User, post: Post, row: dict[str, Any]) -> None:
    key = _withdrawn_key(liker=liker, post=post)
    cache_outage.attempt(
        lambda: cache.set(key, row, timeout=settings.NOTIFICATION_REPEAT_WINDOW),
        fallback=None,
        log=logger,
        failure="could not remember a withdrawn like in the cache",
    )


def notify_post_created(*, post: Post, mentioned: Sequence[User]) -> list[Notification]:
    """REPLY to the parent's author and MENTION to each mentioned user, never twice, never
    self, never to one who blocked the author or whom the author blocked, and only to those
    who may see the post (a locked author's reach its followers).

    Also announces the post to the home feeds it enters.
    """
    rows: list[Notification] = []
    parent_author_id = post.reply_to.author_id if post.reply_to_id and post.reply_to else None
    candidates = {user.pk for user in mentioned}
    if parent_author_id is not None:
        candidates.add(parent_author_id)
    # Withheld (a block either way, a mute with notifications): neither kind for them.
    notified: set[int] = {
        post.author_id,
        *notification_withheld(actor_id=post.author_id, recipient_ids=candidates),
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
        if unread.update(read_at=timezone.now()):
            # One event for the whole mark-all, to the recipient's every device.
            events.publish_unread_changed([recipient.pk])
        return []
    wanted = set(ids)
    owned = set(
        Notification.objects.filter(recipient=recipient, pk__in=wanted).values_list("pk", flat=True)
    )
    if unread.filter(pk__in=owned).update(read_at=timezone.now()):
        events.publish_unread_changed([recipient.pk])
    return [pk for pk in ids if pk not in owned]


def _unread_recipients(which: Q) -> set[int]:
    return set(
        Notification.objects.filter(which, read_at__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )


def unread_changed_between(*, user_id: int, other_id: int) -> None:
    """A block or an unblock between the two: each one's unread notifications caused by the
    other are hidden or shown again (social/visibility.py), so their counts change. Call it
    before the rows of the pair are deleted (the follow requests' notifications)."""
    events.publish_unread_changed(
        _unread_recipients(
            Q(recipient_id=user_id, actor_id=other_id) | Q(recipient_id=other_id, actor_id=user_id)
        )
    )


def unread_changed_by_actor(*, actor_id: int, recipient_id: int | None = None) -> None:
    """The unread notifications `actor_id` caused (to `recipient_id` alone, for a mute) are
    hidden or shown again, or go: a mute or unmute, a suspension, a deletion of the actor.
    Call it before the rows are deleted."""
    which = Q(actor_id=actor_id)
    if recipient_id is not None:
        which &= Q(recipient_id=recipient_id)
    events.publish_unread_changed(_unread_recipients(which))


def unread_changed_by_post(*, post_id: int) -> None:
    """The post goes, and its unread notifications with it (before it is deleted)."""
    events.publish_unread_changed(_unread_recipients(Q(post_id=post_id)))
