"""Likes: idempotent. The post's like_count follows from the rows, kept by the database's
triggers (social/migrations/0006_counters_kept_by_triggers.py) in the same transaction."""

from django.db import IntegrityError, transaction

from notifications.services import notify_liked, withdraw_like_notification
from social.errors import ErrorCode, ValidationFailed
from social.models import Like, Post, User
from social.services.guards import ensure_not_blocked
from social.visibility import blocked_between


def _post_missing() -> ValidationFailed:
    return ValidationFailed(
        field="postId", code=ErrorCode.NOT_FOUND, message="That post does not exist."
    )


def like_create(*, user: User, post: Post) -> bool:
    """Likes the post; liking it again changes nothing. True when a new like was written.
    BLOCKED when the post's author and the user blocked one another."""
    with transaction.atomic():
        ensure_not_blocked(user_id=user.pk, other_id=post.author_id, field="postId")
        try:
            # A savepoint: a concurrent or repeated like hits the unique constraint here.
            with transaction.atomic():
                Like.objects.create(user=user, post=post)
        except IntegrityError:
            if not Post.objects.filter(pk=post.pk).exists():
                raise _post_missing() from None
            return False
        # The insert's trigger locked the post's row: a deletion has either committed (and
        # is seen here) or waits for this like.
        if not Post.objects.filter(pk=post.pk).exists():
            raise _post_missing()
        notify_liked(liker=user, post=post)
    return True


def like_delete(*, user: User, post: Post) -> bool:
    """Removes the like if there is one. True when a like was removed. Across a block (the
    post hidden from the user) the user's own like can still go; without one the post is
    NOT_FOUND, as it is to them everywhere else."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, post=post).delete()
        if deleted:
            withdraw_like_notification(liker=user, post=post)
        elif blocked_between(user_id=user.pk, other_ids=[post.author_id]):
            raise _post_missing()
    return bool(deleted)
