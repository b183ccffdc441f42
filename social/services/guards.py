"""Checks a service makes before one user acts on another (follow, like, reply), and the
one order in which services lock users' rows."""

from collections.abc import Callable, Collection

from django.db import transaction
from django.db.models import Q

from social.errors import ErrorCode, ValidationFailed
from social.models import Follow, User
from social.visibility import blocked_between


def lock_users(user_ids: Collection[int]) -> dict[int, User]:
    """Locks the users' rows, lowest id first: the one order in which every service locks
    users (follow, unfollow, block, accepting a request, unlocking an account), so actions
    on the same users run one after the other and never deadlock. The rows found, by id.

    FOR NO KEY UPDATE, as the counters' triggers take: a row another transaction only
    refers to (a notification, a like being written) is not waited for."""
    return {
        user.pk: user
        for user in User.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(user_ids)))
        .order_by("pk")
        .only("pk", "is_active", "is_locked")
    }


class _PartnersChanged(Exception):
    """A partner appeared between reading the partners and locking them."""


def lock_user_and_partners(
    *, user_id: int, partners: Callable[[], Collection[int]]
) -> dict[int, User]:
    """Locks the user's row and its partners' (`partners()` reads their ids: requesters,
    follows), all in the global order of `lock_users`, for an action that writes to all of
    them at once (unlocking an account, deleting one). The rows found, by id.

    A new partner can only appear under the user's row lock (every service takes
    `lock_pair`): once the rows are locked the partners are final, unless one appeared
    between the read and the lock; then the locks are let go (a savepoint's rollback
    releases them) and taken again."""
    while True:
        known = set(partners())
        try:
            with transaction.atomic():
                rows = lock_users([user_id, *known])
                if not set(partners()) <= known:
                    raise _PartnersChanged
        except _PartnersChanged:
            continue
        return rows


def follow_partners(user_id: int) -> set[int]:
    """Everyone the user follows or is followed by: whose counters a change of the user's
    follows all at once (deleting or deactivating the account) updates."""
    pairs = Follow.objects.filter(Q(follower_id=user_id) | Q(followee_id=user_id)).values_list(
        "follower_id", "followee_id"
    )
    return {pk for pair in pairs for pk in pair} - {user_id}


def lock_pair(*, user_id: int, other_id: int) -> bool:
    """Locks both users' rows in the global order (`lock_users`), so two actions on one pair
    never deadlock, and a block and a follow on it run one after the other. False when
    `other_id` is not an active user."""
    other = lock_users([user_id, other_id]).get(other_id)
    return other is not None and other.is_active


def ensure_not_blocked(*, user_id: int, other_id: int, field: str | None) -> None:
    """BLOCKED when either user blocked the other. Inside a transaction that took
    `lock_pair`, the answer holds until it commits."""
    if blocked_between(user_id=user_id, other_ids=[other_id]):
        raise ValidationFailed(
            field=field,
            code=ErrorCode.BLOCKED,
            message="A block stands between you and this user.",
        )
