"""Blocks: idempotent; a block removes the follows (and follow requests) both ways in its
own transaction, and stops either side from following, liking or replying to the other.

Who sees what under a block is social/visibility.py's; this module writes the rows and
the other services check a pair with social/services/guards.py."""

from django.db import IntegrityError, transaction

from notifications.services import unread_changed_between
from social.errors import ErrorCode, ValidationFailed
from social.models import Block, User
from social.services.follow_requests import follow_requests_between_delete
from social.services.follows import follow_delete
from social.services.guards import lock_pair


def _self_action() -> ValidationFailed:
    return ValidationFailed(
        field="userId", code=ErrorCode.SELF_ACTION, message="You cannot block yourself."
    )


def _user_missing() -> ValidationFailed:
    return ValidationFailed(
        field="userId", code=ErrorCode.NOT_FOUND, message="That user does not exist."
    )


def _remove_follow_requests(*, user_id: int, other_id: int) -> None:
    """Follow requests between the pair, both ways, are removed here: the one place for
    them (with their unread notifications)."""
    follow_requests_between_delete(a_id=user_id, b_id=other_id)


def block_create(*, blocker: User, blocked: User) -> bool:
    """Blocks; blocking again changes nothing. True when a new block was written. The
    follows both ways go in the same transaction, with both users' counts kept exact."""
    if blocker.pk == blocked.pk:
        raise _self_action()
    with transaction.atomic():
        if not lock_pair(user_id=blocker.pk, other_id=blocked.pk):
            raise _user_missing()
        # Under the pair's locks nobody else writes this row: a repeated block is found, not
        # tried (a failed INSERT is an ERROR line in PostgreSQL's log for every retry).
        created = not Block.objects.filter(blocker=blocker, blocked=blocked).exists()
        if created:
            try:
                with transaction.atomic():
                    Block.objects.create(blocker=blocker, blocked=blocked)
            except IntegrityError:
                created = False
        if created:
            # Before the follow requests' notifications go: both sides' counts drop.
            unread_changed_between(user_id=blocker.pk, other_id=blocked.pk)
        follow_delete(follower=blocker, followee=blocked)
        follow_delete(follower=blocked, followee=blocker)
        _remove_follow_requests(user_id=blocker.pk, other_id=blocked.pk)
    return created


def block_delete(*, blocker: User, blocked: User) -> bool:
    """Unblocks if blocked: each side's posts show again; the removed follows stay removed.
    True when a block was removed."""
    if blocker.pk == blocked.pk:
        raise _self_action()
    with transaction.atomic():
        deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
        if deleted:
            unread_changed_between(user_id=blocker.pk, other_id=blocked.pk)
    return bool(deleted)
