"""Blocks at the service level: follows removed both ways with exact counts, the BLOCKED
checks of follow, like and reply, notifications, and a block racing a follow."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from notifications.models import Notification, NotificationKind
from social.errors import ErrorCode, ValidationFailed
from social.models import Block, Follow, Like, Post, User
from social.services.blocks import block_create, block_delete
from social.services.follows import follow_create
from social.services.likes import like_create
from social.services.posts import post_create
from tests.factories import make_follow, make_post, make_user
from tests.services import require_postgres_database


def _code(exc: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str | None, ErrorCode]:
    return exc.value.errors[0].field, exc.value.errors[0].code


def _assert_counts_exact() -> None:
    """Every user's stored counts equal a fresh COUNT(*)."""
    for user in User.objects.all():
        assert user.follower_count == Follow.objects.filter(followee=user).count(), user
        assert user.following_count == Follow.objects.filter(follower=user).count(), user


@pytest.mark.django_db
class TestBlockCreate:
    def test_block_removes_follows_both_ways_with_exact_counts(self) -> None:
        ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")
        make_follow(ann, bob)
        make_follow(bob, ann)
        make_follow(carol, ann)
        make_follow(bob, carol)
        assert block_create(blocker=ann, blocked=bob) is True
        assert not Follow.objects.filter(follower=ann, followee=bob).exists()
        assert not Follow.objects.filter(follower=bob, followee=ann).exists()
        assert Follow.objects.count() == 2  # carol -> ann and bob -> carol stay
        _assert_counts_exact()
        ann.refresh_from_db()
        assert (ann.follower_count, ann.following_count) == (1, 0)

    def test_blocking_twice_leaves_one_block(self) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        assert block_create(blocker=ann, blocked=bob) is True
        assert block_create(blocker=ann, blocked=bob) is False
        assert Block.objects.count() == 1
        _assert_counts_exact()

    def test_blocking_yourself_is_self_action_and_writes_nothing(self) -> None:
        ann = make_user("ann")
        with pytest.raises(ValidationFailed) as exc:
            block_create(blocker=ann, blocked=ann)
        assert _code(exc) == ("userId", ErrorCode.SELF_ACTION)
        assert not Block.objects.exists()

    def test_blocking_an_inactive_user_is_not_found_and_writes_nothing(self) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        make_follow(ann, bob)
        User.objects.filter(pk=bob.pk).update(is_active=False)
        with pytest.raises(ValidationFailed) as exc:
            block_create(blocker=ann, blocked=bob)
        assert _code(exc) == ("userId", ErrorCode.NOT_FOUND)
        assert not Block.objects.exists()
        assert Follow.objects.count() == 1

    def test_unblock_restores_nothing_but_visibility_and_is_idempotent(self) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        make_follow(bob, ann)
        block_create(blocker=ann, blocked=bob)
        assert block_delete(blocker=ann, blocked=bob) is True
        assert block_delete(blocker=ann, blocked=bob) is False
        assert not Block.objects.exists()
        assert not Follow.objects.exists()  # the removed follow stays removed
        follow_create(follower=bob, followee=ann)  # and may be made again
        _assert_counts_exact()


@pytest.mark.django_db
class TestBlockedActions:
    @pytest.mark.parametrize("blocker_is_target", [True, False])
    def test_no_follow_either_way(self, blocker_is_target: bool) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        if blocker_is_target:
            block_create(blocker=ann, blocked=bob)
        else:
            block_create(blocker=bob, blocked=ann)
        with pytest.raises(ValidationFailed) as exc:
            follow_create(follower=bob, followee=ann)
        assert _code(exc) == ("userId", ErrorCode.BLOCKED)
        assert not Follow.objects.exists()
        assert not Notification.objects.exists()
        _assert_counts_exact()

    def test_the_blocked_cannot_like_or_reply(self) -> None:
        ann, bob = make_user("ann"), make_user("bob")
        post = make_post(ann, "mine")
        block_create(blocker=ann, blocked=bob)
        with pytest.raises(ValidationFailed) as exc:
            like_create(user=bob, post=post)
        assert _code(exc) == ("postId", ErrorCode.BLOCKED)
        with pytest.raises(ValidationFailed) as exc:
            post_create(author=bob, body="reply", reply_to=post)
        assert _code(exc) == ("replyTo", ErrorCode.BLOCKED)
        post.refresh_from_db()
        bob.refresh_from_db()
        assert (post.like_count, post.reply_count, bob.post_count) == (0, 0, 0)
        assert not Like.objects.exists()
        assert Post.objects.count() == 1
        assert not Notification.objects.exists()

    def test_mentions_across_a_block_notify_nobody_either_way(self) -> None:
        ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")
        block_create(blocker=ann, blocked=bob)
        make_post(bob, "hey @ann and @carol")
        make_post(ann, "hey @bob")
        carols_post = make_post(carol, "thread")
        make_post(bob, "@ann look", reply_to=carols_post)
        kinds = set(Notification.objects.values_list("recipient__username", "actor__username"))
        assert kinds == {("carol", "bob")}
        assert Notification.objects.filter(kind=NotificationKind.MENTION).count() == 1


def _all_at_once(actions: list[Callable[[], object]]) -> list[BaseException]:
    """Runs every action in its own thread, released together; returns what they raised."""
    barrier = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            action()
        except BaseException as exc:  # reported to the caller
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_a_block_racing_follows_never_leaves_a_follow_between_the_pair() -> None:
    require_postgres_database()
    for round_ in range(8):
        ann, bob = make_user(f"ann{round_}"), make_user(f"bob{round_}")
        carol = make_user(f"carol{round_}")
        make_follow(carol, ann)
        errors = _all_at_once(
            [
                lambda ann=ann, bob=bob: block_create(blocker=ann, blocked=bob),
                lambda ann=ann, bob=bob: follow_create(follower=bob, followee=ann),
                lambda ann=ann, bob=bob: follow_create(follower=ann, followee=bob),
                lambda ann=ann, carol=carol: follow_create(follower=ann, followee=carol),
            ]
        )
        # A follow that came second is refused; none fails otherwise.
        assert all(
            isinstance(e, ValidationFailed) and e.errors[0].code == ErrorCode.BLOCKED
            for e in errors
        ), errors
        assert Block.objects.filter(blocker=ann, blocked=bob).exists()
        assert not Follow.objects.filter(follower=bob, followee=ann).exists()
        assert not Follow.objects.filter(follower=ann, followee=bob).exists()
        assert Follow.objects.filter(follower=ann, followee=carol).exists()
        _assert_counts_exact()
