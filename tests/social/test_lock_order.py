"""Row locks in one global order (users by ascending id): opposite actions on one pair
(accepting a request, unfollowing, blocking, unlocking an account) racing each other on
PostgreSQL never deadlock, and leave no follow across a block and every count exact.

Each race is released from a barrier over several rounds; with the locks taken in two
orders, one round at least deadlocks (PostgreSQL aborts a transaction: an error here)."""

from collections.abc import Callable
from functools import partial

import pytest

from social.errors import ErrorCode, ValidationFailed
from social.models import Block, Follow, FollowRequest, User
from social.services.accounts import user_set_active, user_update_profile
from social.services.blocks import block_create
from social.services.deletion import user_delete
from social.services.follow_requests import follow_request_accept
from social.services.follows import follow_create, follow_delete
from social.services.moderation import user_suspend, user_unsuspend
from tests.factories import make_follow, make_user
from tests.services import require_postgres_database
from tests.social.test_post_services import _all_at_once

ROUNDS = 6


def _counts_are_exact() -> None:
    """Every counter equals a fresh count (of follows with active users, as the triggers')."""
    follows = Follow.objects.filter(follower__is_active=True, followee__is_active=True)
    for user in User.objects.filter(is_active=True):
        assert user.follower_count == follows.filter(followee=user).count(), user
        assert user.following_count == follows.filter(follower=user).count(), user


def _only_not_found(errors: list[BaseException]) -> None:
    """A request answered after a block removed it is NOT_FOUND; nothing else may fail."""
    assert all(
        isinstance(e, ValidationFailed) and e.errors[0].code == ErrorCode.NOT_FOUND for e in errors
    ), errors


def _race(actions: list[Callable[[], object]]) -> list[BaseException]:
    return _all_at_once(actions)


@pytest.mark.django_db(transaction=True)
def test_accepting_a_request_racing_the_requesters_block_never_deadlocks() -> None:
    require_postgres_database()
    for round_ in range(ROUNDS):
        # The requester has the lower id: a lock taken target first crosses the block's.
        fan = make_user(f"fan{round_}")
        lena = make_user(f"lena{round_}", is_locked=True)
        follow_create(follower=fan, followee=lena)
        errors = _race(
            [
                partial(follow_request_accept, target=lena, requester=fan),
                partial(block_create, blocker=fan, blocked=lena),
            ]
        )
        _only_not_found(errors)
        assert Block.objects.filter(blocker=fan, blocked=lena).exists()
        assert not Follow.objects.filter(follower=fan, followee=lena).exists()
        assert not FollowRequest.objects.filter(requester=fan, target=lena).exists()
        _counts_are_exact()


@pytest.mark.django_db(transaction=True)
def test_unfollowing_racing_a_block_by_the_followee_never_deadlocks() -> None:
    require_postgres_database()
    for round_ in range(ROUNDS):
        # The follower has the lower id: the unfollow's counters lock the followee first.
        bob = make_user(f"bob{round_}")
        ann = make_user(f"ann{round_}")
        make_follow(bob, ann)
        make_follow(ann, bob)
        errors = _race(
            [
                partial(follow_delete, follower=bob, followee=ann),
                partial(block_create, blocker=ann, blocked=bob),
            ]
        )
        assert errors == []
        assert not Follow.objects.filter(follower=bob, followee=ann).exists()
        assert not Follow.objects.filter(follower=ann, followee=bob).exists()
        _counts_are_exact()


@pytest.mark.django_db(transaction=True)
def test_unlocking_racing_blocks_and_withdrawals_never_deadlocks() -> None:
    require_postgres_database()
    for round_ in range(ROUNDS):
        # Every requester has a lower id than the account they ask.
        blocker, withdrawer, blocked, waiting = (
            make_user(f"{name}{round_}") for name in ("blocker", "withdrawer", "blocked", "waiting")
        )
        lena = make_user(f"lena{round_}", is_locked=True)
        for fan in (blocker, withdrawer, blocked, waiting):
            follow_create(follower=fan, followee=lena)

        def unlock(lena: User = lena) -> None:
            user_update_profile(user=User.objects.get(pk=lena.pk), is_locked=False)

        errors = _race(
            [
                unlock,
                partial(block_create, blocker=blocker, blocked=lena),
                partial(follow_delete, follower=withdrawer, followee=lena),
                partial(block_create, blocker=lena, blocked=blocked),
            ]
        )
        assert errors == []
        # Whichever came first: a block leaves no follow, a withdrawal (or an unfollow
        # after the unlock) none either; the one who only waited follows.
        followers = set(Follow.objects.filter(followee=lena).values_list("follower_id", flat=True))
        assert followers == {waiting.pk}
        assert not FollowRequest.objects.filter(target=lena).exists()
        assert not User.objects.get(pk=lena.pk).is_locked
        _counts_are_exact()


@pytest.mark.django_db(transaction=True)
def test_deleting_an_account_racing_its_partners_blocks_and_unfollows_never_deadlocks() -> None:
    require_postgres_database()
    for round_ in range(ROUNDS):
        # The partners have lower ids: the deletion's counters lock them after the account.
        blocker, leaver = make_user(f"blocker{round_}"), make_user(f"leaver{round_}")
        gone = make_user(f"gone{round_}")
        for partner in (blocker, leaver):
            make_follow(partner, gone)
            make_follow(gone, partner)
        errors = _race(
            [
                partial(user_delete, user=gone),
                partial(block_create, blocker=blocker, blocked=gone),
                partial(follow_delete, follower=leaver, followee=gone),
            ]
        )
        _only_not_found(errors)  # a block after the deletion finds no one
        assert not User.objects.filter(pk=gone.pk).exists()
        _counts_are_exact()


@pytest.mark.django_db(transaction=True)
def test_deactivating_an_account_racing_its_partners_blocks_and_unfollows_never_deadlocks() -> None:
    require_postgres_database()
    for round_ in range(ROUNDS):
        # The partners have lower ids: the deactivation's counters lock them after the account.
        blocker, leaver = make_user(f"blocker{round_}"), make_user(f"leaver{round_}")
        gone = make_user(f"gone{round_}")
        for partner in (blocker, leaver):
            make_follow(partner, gone)
            make_follow(gone, partner)
        errors = _race(
            [
                partial(user_set_active, user=gone, active=False),
                partial(block_create, blocker=blocker, blocked=gone),
                partial(follow_delete, follower=leaver, followee=gone),
            ]
        )
        _only_not_found(errors)  # a block after the deactivation finds no one
        _counts_are_exact()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("suspend", [True, False], ids=["suspend", "unsuspend"])
def test_suspending_an_account_racing_its_partners_blocks_and_unfollows_never_deadlocks(
    suspend: bool,
) -> None:
    """Where the counters leave out suspended accounts, a suspension updates its partners'."""
    require_postgres_database()
    moderator = make_user("mod")
    for round_ in range(ROUNDS):
        # The partners have lower ids: counters kept on suspension lock them after the account.
        blocker, leaver = make_user(f"blocker{round_}"), make_user(f"leaver{round_}")
        troll = make_user(f"troll{round_}")
        for partner in (blocker, leaver):
            make_follow(partner, troll)
            make_follow(troll, partner)
        if not suspend:
            user_suspend(user=troll, moderator=moderator)
        action = user_suspend if suspend else user_unsuspend
        errors = _race(
            [
                partial(action, user=troll, moderator=moderator),
                partial(block_create, blocker=blocker, blocked=troll),
                partial(follow_delete, follower=leaver, followee=troll),
            ]
        )
        assert errors == []
        assert not Follow.objects.filter(follower=leaver, followee=troll).exists()
        assert not Follow.objects.filter(follower=troll, followee=blocker).exists()
