"""Follows: idempotent. Both users' counters follow from the row, kept by the database's
triggers (social/migrations/0006_counters_kept_by_triggers.py) in the same transaction.

Following a locked account asks it instead (social/services/follow_requests.py)."""

from django.db import IntegrityError, transaction

from notifications.services import notify_followed
from social.errors import ErrorCode, ValidationFailed
from social.models import Follow, User
from social.services import follow_requests
from social.services.guards import ensure_not_blocked, lock_pair


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
        # Under both rows' locks, a block racing this follow either sees it (and removes
        # it) or is seen here.
        if not lock_pair(user_id=follower.pk, other_id=followee.pk):
            raise _user_missing()
        ensure_not_blocked(user_id=follower.pk, other_id=followee.pk, field="userId")
        if follow_requests.followee_locked(follower=follower, followee=followee):
            follow_requests.follow_request_create(requester=follower, target=followee)
            return False
        if not follow_insert(follower=follower, followee=followee):
            return False
        notify_followed(follower=follower, followee=followee)
    return True


def follow_insert(*, follower: User, followee: User) -> bool:
    """Writes the follow (its trigger keeps both counters), in the caller's transaction;
    notifies no one.
    False when it existed already; NOT_FOUND when the followee is gone."""
    # The callers hold the pair's locks: a repeated follow is found, not tried (a failed
    # INSERT is an ERROR line in PostgreSQL's log for every retry).
    if Follow.objects.filter(follower=follower, followee=followee).exists():
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                Follow.objects.create(follower=follower, followee=followee)
        except IntegrityError:
            if not User.objects.filter(pk=followee.pk, is_active=True).exists():
                raise _user_missing() from None
            return False
        # The insert's trigger locked the followee's row: a deletion or deactivation has
        # either committed (and is seen here) or waits for this follow.
        if not User.objects.filter(pk=followee.pk, is_active=True).exists():
            raise _user_missing()
    return True


def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollows if following, or withdraws a pending follow request. True when a follow
    was removed."""
    if follower.pk == followee.pk:
        raise _self_action()
    with transaction.atomic():
        # Both rows locked first, in the global order; the counters' trigger would lock
        # the followee's first, across a block's or an acceptance's order.
        lock_pair(user_id=follower.pk, other_id=followee.pk)
        follow_requests.follow_request_withdraw(requester=follower, target=followee)
        deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
    return bool(deleted)
