"""Follows: idempotent, with both users' counters kept exact in the same transaction.

Following a locked account asks it instead (social/services/follow_requests.py)."""

from django.db import IntegrityError, transaction
from django.db.models import F

from notifications.services import notify_followed
from social.errors import ErrorCode, ValidationFailed
from social.models import Follow, User
from social.services import follow_requests


def _self_action() -> ValidationFailed:
    return ValidationFailed(
        field="userId", code=ErrorCode.SELF_ACTION, message="You cannot follow yourself."
    )


def _user_missing() -> ValidationFailed:
    return ValidationFailed(
        field="userId", code=ErrorCode.NOT_FOUND, message="That user does not exist."
    )


def follow_create(*, follower: User, followee: User) -> bool:
    """Follows; following again changes nothing. True when a new follow was written.

    A locked account is asked instead (a follow request), unless already followed."""
    if follower.pk == followee.pk:
        raise _self_action()
    with transaction.atomic():
        if follow_requests.followee_locked(follower=follower, followee=followee):
            follow_requests.follow_request_create(requester=follower, target=followee)
            return False
        if not follow_insert(follower=follower, followee=followee):
            return False
        notify_followed(follower=follower, followee=followee)
    return True


def follow_insert(*, follower: User, followee: User) -> bool:
    """Writes the follow and both counters, in the caller's transaction; notifies no one.
    False when it existed already; NOT_FOUND when the followee is gone."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                Follow.objects.create(follower=follower, followee=followee)
        except IntegrityError:
            if not User.objects.filter(pk=followee.pk, is_active=True).exists():
                raise _user_missing() from None
            return False
        # Locks the followee, so it cannot vanish before this follow commits.
        if not User.objects.filter(pk=followee.pk, is_active=True).update(
            follower_count=F("follower_count") + 1
        ):
            raise _user_missing()
        User.objects.filter(pk=follower.pk).update(following_count=F("following_count") + 1)
    return True


def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollows if following, or withdraws a pending follow request. True when a follow
    was removed."""
    if follower.pk == followee.pk:
        raise _self_action()
    with transaction.atomic():
        follow_requests.follow_request_withdraw(requester=follower, target=followee)
        deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
        if deleted:
            User.objects.filter(pk=followee.pk, follower_count__gt=0).update(
                follower_count=F("follower_count") - 1
            )
            User.objects.filter(pk=follower.pk, following_count__gt=0).update(
                following_count=F("following_count") - 1
            )
    return bool(deleted)
