"""Likes: idempotent, with the post's like_count kept exact in the same transaction."""

from django.db import IntegrityError, transaction
from django.db.models import F

from notifications.services import notify_liked
from social.errors import ErrorCode, ValidationFailed
from social.models import Like, Post, User
from social.services.guards import ensure_not_blocked


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
        # Also locks the post row, so it cannot vanish before this like commits.
        if not Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1):
            raise _post_missing()
        notify_liked(liker=user, post=post)
    return True


def like_delete(*, user: User, post: Post) -> bool:
    """Removes the like if there is one. True when a like was removed."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, post=post).delete()
        if deleted:
            Post.objects.filter(pk=post.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
    return bool(deleted)
