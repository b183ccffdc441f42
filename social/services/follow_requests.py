"""Follow requests: asking a locked account, its answers, and unlocking (which accepts them all).

A request exists only while its target is locked and its requester does not follow them:
each function here keeps that so, in one transaction with the target's row locked."""

from django.db import IntegrityError, transaction
from django.db.models import Q

from notifications.services import (
    follow_request_notifications_delete,
    notify_follow_accepted,
    notify_follow_requested,
)
from social.errors import ErrorCode, ValidationFailed
from social.models import Follow, FollowRequest, User
from social.services import follows
from social.services.guards import lock_pair, lock_user_and_partners


def _no_request() -> ValidationFailed:
    return ValidationFailed(
        field="userId", code=ErrorCode.NOT_FOUND, message="That user has not asked to follow you."
    )


def _lock_user(user_id: int) -> bool | None:
    """Locks the user's row (until the transaction ends); whether they are locked, None
    when they are gone."""
    return (
        User.objects.select_for_update(no_key=True)
        .filter(pk=user_id, is_active=True)
        .values_list("is_locked", flat=True)
        .first()
    )


def followee_locked(*, follower: User, followee: User) -> bool:
    """Whether following `followee` needs their approval: locked and not yet followed.

    Locks the followee's row, so an unlock committing meanwhile is either seen here or sees
    the request this makes; NOT_FOUND when the followee is gone."""
    locked = _lock_user(followee.pk)
    if locked is None:
        raise ValidationFailed(
            field="userId", code=ErrorCode.NOT_FOUND, message="That user does not exist."
        )
    return locked and not Follow.objects.filter(follower=follower, followee=followee).exists()


def follow_request_create(*, requester: User, target: User) -> bool:
    """Asks the (locked) target, who is told (FOLLOW_REQUEST); asking again changes
    nothing. True when a new request was written."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                FollowRequest.objects.create(requester=requester, target=target)
        except IntegrityError:
            return False
        notify_follow_requested(requester=requester, target=target)
    return True


def follow_request_withdraw(*, requester: User, target: User) -> bool:
    """Withdraws a pending request, and its notification while still unread. True when
    there was one."""
    with transaction.atomic():
        deleted, _ = FollowRequest.objects.filter(requester=requester, target=target).delete()
        if deleted:
            follow_request_notifications_delete(pairs=[(requester.pk, target.pk)])
    return bool(deleted)


def follow_request_accept(*, target: User, requester: User) -> None:
    """The requester follows the target from now on, and is told (FOLLOW_ACCEPTED).
    NOT_FOUND when they have no pending request."""
    with transaction.atomic():
        # Both rows, in the global order: a block or an unfollow by the requester racing
        # this takes them in the same one.
        lock_pair(user_id=target.pk, other_id=requester.pk)
        deleted, _ = FollowRequest.objects.filter(requester=requester, target=target).delete()
        if not deleted:
            raise _no_request()
        follows.follow_insert(follower=requester, followee=target)
        notify_follow_accepted(target=target, requester_ids=[requester.pk])


def follow_request_reject(*, target: User, requester: User) -> None:
    """The request disappears; the requester is not told. NOT_FOUND when there is none."""
    with transaction.atomic():
        deleted, _ = FollowRequest.objects.filter(requester=requester, target=target).delete()
        if not deleted:
            raise _no_request()


def lock_account_and_requesters(*, target: User) -> bool | None:
    """Locks the target's row and its requesters', all in the global order (lowest id
    first, as `lock_pair`), for unlocking: a block, an unfollow or an acceptance racing it
    then waits rather than deadlocks. Whether the target is locked; None when it is gone."""
    rows = lock_user_and_partners(user_id=target.pk, partners=lambda: _requester_ids(target))
    found = rows.get(target.pk)
    return found.is_locked if found is not None and found.is_active else None


def _requester_ids(target: User) -> list[int]:
    return list(FollowRequest.objects.filter(target=target).values_list("requester_id", flat=True))


def follow_requests_accept_all(*, target: User) -> int:
    """Accepts every pending request of the target (unlocking), in the caller's
    transaction, which holds the locks of `lock_account_and_requesters`. How many were
    accepted."""
    with transaction.atomic():
        requester_ids = list(
            FollowRequest.objects.filter(target=target)
            .order_by("created_at", "id")
            .values_list("requester_id", flat=True)
        )
        if not requester_ids:
            return 0
        FollowRequest.objects.filter(target=target, requester_id__in=requester_ids).delete()
        # The counter triggers count each follow inserted (social/migrations/0006, 0011);
        # a recount here counted deactivated and suspended followers too.
        Follow.objects.bulk_create(
            [Follow(follower_id=pk, followee=target) for pk in requester_ids],
            ignore_conflicts=True,
        )
        notify_follow_accepted(target=target, requester_ids=requester_ids)
    return len(requester_ids)


def follow_requests_between_delete(*, a_id: int, b_id: int) -> None:
    """Removes the pending requests between the two users, both ways, and their unread
    notifications (a block between them), in the caller's transaction."""
    with transaction.atomic():
        pairs = Q(requester_id=a_id, target_id=b_id) | Q(requester_id=b_id, target_id=a_id)
        deleted, _ = FollowRequest.objects.filter(pairs).delete()
        if deleted:
            follow_request_notifications_delete(pairs=[(a_id, b_id), (b_id, a_id)])
