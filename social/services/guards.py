"""Checks a service makes before one user acts on another (follow, like, reply)."""

from social.errors import ErrorCode, ValidationFailed
from social.models import User
from social.visibility import blocked_between


def lock_pair(*, user_id: int, other_id: int) -> bool:
    """Locks both users' rows, lowest id first: the one order every service takes, so two
    actions on one pair never deadlock, and a block and a follow on it run one after the
    other. False when `other_id` is not an active user."""
    rows = (
        User.objects.select_for_update()
        .filter(pk__in=sorted({user_id, other_id}))
        .order_by("pk")
        .values_list("pk", "is_active")
    )
    return other_id in {pk for pk, is_active in rows if is_active}


def ensure_not_blocked(*, user_id: int, other_id: int, field: str | None) -> None:
    """BLOCKED when either user blocked the other. Inside a transaction that took
    `lock_pair`, the answer holds until it commits."""
    if blocked_between(user_id=user_id, other_ids=[other_id]):
        raise ValidationFailed(
            field=field,
            code=ErrorCode.BLOCKED,
            message="A block stands between you and this user.",
        )
