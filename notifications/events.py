"""The one module that publishes events to the sockets (through realtime/broker.py).

Publishing happens only after the surrounding transaction commits, so a client
never hears of a row it cannot read, and a rolled-back action sends nothing.
The services name the recipients; one message per event carries them all, so a
post by a user with thousands of followers is one Redis message per process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from typing import Any

from django.db import transaction

from notifications.models import Notification
from observability.metrics import EVENTS_PUBLISHED
from realtime import broker
from social import revocations
from social.models import Follow, Post

logger = logging.getLogger(__name__)

NOTIFICATION = "notification"
POST = "post"
# A recipient's unread count may have changed: their subscriptions count again.
UNREAD = "unread"
# Sessions signed out: every process refuses their access tokens and closes their sockets.
SESSIONS_REVOKED = broker.SESSIONS_REVOKED


def _publish(message: dict[str, Any]) -> None:
    kind = message["kind"]
    try:
        # Stamped after the commit: the delivery metric measures from here.
        broker.publish({**message, "at": round(time.time(), 4)})
    except Exception:
        # Delivery is best-effort: the row is stored and clients catch up with `after`
        # (or are resynchronised when the broker reconnects).
        logger.exception("could not publish a %s event", kind)
        return
    EVENTS_PUBLISHED.labels(kind=kind).inc()


def publish_notifications(notifications: Sequence[Notification]) -> None:
    """After commit, tells each notification's recipient (on every device and process)."""
    messages = [
        {"kind": NOTIFICATION, "id": n.pk, "users": [n.recipient_id]} for n in notifications
    ]
    # Their unread counts grew: one message for all of them, after the notifications.
    unread = {"kind": UNREAD, "users": sorted({n.recipient_id for n in notifications})}

    def send() -> None:
        for message in messages:
            _publish(message)
        _publish(unread)

    if messages:
        transaction.on_commit(send)


def publish_unread_changed(recipient_ids: Collection[int]) -> None:
    """After commit, tells these users (every device, every process) that their unread
    count may have changed: read on another device, hidden or shown again by a block or a
    mute, withdrawn. One message for all of them, however many."""
    users = sorted(set(recipient_ids))
    if users:
        transaction.on_commit(lambda: _publish({"kind": UNREAD, "users": users}))


def home_feed_recipients(*, author_id: int) -> list[int]:
    """Whose home feed a post by `author_id` enters: the author and their followers."""
    followers = Follow.objects.filter(followee_id=author_id).values_list("follower_id", flat=True)
    return [author_id, *followers]


def publish_post_created(post: Post) -> None:
    """After commit, announces a post to its author's and followers' home feeds."""
    post_id, author_id = post.pk, post.author_id

    def send() -> None:
        try:
            # Read after commit: a follow committed meanwhile is included.
            users = home_feed_recipients(author_id=author_id)
        except Exception:
            logger.exception("could not read the recipients of post %s", post_id)
            return
        _publish({"kind": POST, "id": post_id, "users": users})

    transaction.on_commit(send)


def publish_sessions_revoked(*, keys: Sequence[str], user_id: int, everywhere: bool) -> None:
    """After commit, tells every process that these sessions are signed out.

    This process refuses their tokens at once; the others when the message arrives.
    `everywhere` (the user signed out of every session) also closes the user's
    cookie-authenticated sockets, which have no session key.
    """
    sessions = [str(key) for key in keys]
    message = {
        "kind": SESSIONS_REVOKED,
        "sessions": sessions,
        "user": user_id if everywhere else None,
    }

    def send() -> None:
        revocations.remember(sessions)
        _publish(message)

    if keys or everywhere:
        transaction.on_commit(send)
