"""Posts, likes and follows: the rules and the counters, at the service level."""

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection

from notifications.models import Notification
from social.errors import ErrorCode, PermissionDenied, ValidationFailed
from social.models import Follow, Like, Post, PostHashtag, PostMention, User
from social.services.follows import follow_create, follow_delete
from social.services.likes import like_create, like_delete
from social.services.posts import post_create, post_delete, post_edit
from tests.factories import make_post, make_user
from tests.services import require_postgres_database


def _code(exc: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str | None, ErrorCode]:
    return exc.value.errors[0].field, exc.value.errors[0].code


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


@pytest.mark.django_db
class TestPostCreate:
    def test_body_is_trimmed_and_stored_exactly_otherwise(self) -> None:
        author = make_user()
        body = "<script>alert('x')</script> '; DROP TABLE social_post; -- &amp;"
        post = post_create(author=author, body=f"  {body}\n")
        post.refresh_from_db()
        assert post.body == body

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ("", ErrorCode.REQUIRED),
            ("  \n\t ", ErrorCode.REQUIRED),
            ("\u200b\u200d \u2060\u200f\ufeff", ErrorCode.REQUIRED),  # invisible only
            ("x" * 501, ErrorCode.TOO_LONG),
        ],
    )
    def test_bad_bodies_write_nothing(self, body: str, code: ErrorCode) -> None:
        author = make_user()
        with pytest.raises(ValidationFailed) as exc:
            post_create(author=author, body=body)
        assert _code(exc) == ("body", code)
        assert not Post.objects.exists()
        author.refresh_from_db()
        assert author.post_count == 0

    def test_an_emoji_joined_by_zero_width_joiners_is_a_body(self) -> None:
        post = post_create(author=make_user(), body="\U0001f469\u200d\U0001f4bb")
        assert post.body == "\U0001f469\u200d\U0001f4bb"

    def test_five_hundred_characters_after_trimming_are_fine(self) -> None:
        post = post_create(author=make_user(), body=" " + "x" * 500 + " ")
        assert len(post.body) == 500

    def test_nul_characters_are_invalid(self) -> None:
        with pytest.raises(ValidationFailed) as exc:
            post_create(author=make_user(), body="a\x00b")
        assert _code(exc) == ("body", ErrorCode.INVALID)

    def test_tags_and_mentions_are_stored_in_order(self) -> None:
        author = make_user("author")
        ann, bob = make_user("Ann"), make_user("bob")
        post = post_create(author=author, body="@BOB @nobody @ann @bob #B #a #b")
        assert [m.user for m in PostMention.objects.filter(post=post)] == [bob, ann]
        assert list(PostHashtag.objects.filter(post=post).values_list("tag", flat=True)) == [
            "b",
            "a",
        ]

    def test_reply_counts_and_notifies_parent_author(self) -> None:
        ann, bob = make_user(), make_user()
        parent = make_post(ann)
        reply = post_create(author=bob, body="hi", reply_to=parent)
        parent.refresh_from_db()
        assert parent.reply_count == 1 and reply.reply_to == parent
        assert Notification.objects.filter(recipient=ann, kind="REPLY", post=reply).count() == 1

    def test_reply_to_a_deleted_post_is_not_found(self) -> None:
        ann = make_user()
        parent = make_post(ann)
        Post.objects.filter(pk=parent.pk).delete()
        with pytest.raises(ValidationFailed) as exc:
            post_create(author=ann, body="late", reply_to=parent)
        assert _code(exc) == ("replyTo", ErrorCode.NOT_FOUND)
        assert not Post.objects.exists()


@pytest.mark.django_db
class TestPostEditDelete:
    def test_only_the_author_may_edit_or_delete(self) -> None:
        ann, bob = make_user(), make_user()
        post = make_post(ann, "mine")
        with pytest.raises(PermissionDenied):
            post_edit(post=post, editor=bob, body="yours")
        with pytest.raises(PermissionDenied):
            post_delete(post=post, actor=bob)
        post.refresh_from_db()
        assert post.body == "mine" and post.edited_at is None

    def test_edit_sets_edited_at_and_rereads_tags_and_mentions(self) -> None:
        ann, bob = make_user(), make_user("bob")
        post = make_post(ann, "#old @nobody")
        edited = post_edit(post=post, editor=ann, body=" #new @bob ")
        assert edited.body == "#new @bob" and edited.edited_at is not None
        assert list(post.hashtag_links.values_list("tag", flat=True)) == ["new"]
        assert [m.user for m in post.mention_links.all()] == [bob]

    def test_the_same_body_again_is_no_edit(self) -> None:
        ann = make_user()
        post = make_post(ann, "as it was")
        assert post_edit(post=post, editor=ann, body="  as it was\n").edited_at is None
        post.refresh_from_db()
        assert post.edited_at is None

    def test_edit_with_a_bad_body_changes_nothing(self) -> None:
        ann = make_user()
        post = make_post(ann, "#keep")
        with pytest.raises(ValidationFailed):
            post_edit(post=post, editor=ann, body="  ")
        post.refresh_from_db()
        assert post.body == "#keep" and post.hashtag_links.count() == 1

    def test_delete_keeps_replies_and_counters_right(self) -> None:
        ann, bob = make_user(), make_user()
        root = make_post(ann)
        middle = make_post(bob, "middle", reply_to=root)
        leaf = make_post(ann, "leaf", reply_to=middle)
        like_create(user=ann, post=middle)
        assert post_delete(post=middle, actor=bob) == middle.pk
        root.refresh_from_db()
        leaf.refresh_from_db()
        bob.refresh_from_db()
        assert root.reply_count == 0 and leaf.reply_to is None
        assert bob.post_count == 0 and not Like.objects.exists()
        with pytest.raises(ValidationFailed) as exc:
            post_delete(post=middle, actor=bob)
        assert _code(exc) == ("id", ErrorCode.NOT_FOUND)


@pytest.mark.django_db
class TestLikesAndFollows:
    def test_like_twice_leaves_one_like_and_one_notification(self) -> None:
        ann, bob = make_user(), make_user()
        post = make_post(ann)
        assert like_create(user=bob, post=post) is True
        assert like_create(user=bob, post=post) is False
        assert like_delete(user=bob, post=post) is True
        assert like_delete(user=bob, post=post) is False
        assert like_create(user=bob, post=post) is True
        post.refresh_from_db()
        assert post.like_count == 1 and Like.objects.count() == 1
        assert Notification.objects.filter(kind="LIKE").count() == 1

    def test_liking_a_deleted_post_is_not_found(self) -> None:
        ann = make_user()
        post = make_post(ann)
        Post.objects.filter(pk=post.pk).delete()
        with pytest.raises(ValidationFailed) as exc:
            like_create(user=ann, post=post)
        assert _code(exc) == ("postId", ErrorCode.NOT_FOUND)
        assert not Like.objects.exists()

    def test_follow_is_idempotent_and_counts_both_sides(self) -> None:
        ann, bob = make_user(), make_user()
        assert follow_create(follower=ann, followee=bob) is True
        assert follow_create(follower=ann, followee=bob) is False
        ann.refresh_from_db()
        bob.refresh_from_db()
        assert (ann.following_count, bob.follower_count) == (1, 1)
        assert Notification.objects.filter(kind="FOLLOW").count() == 1
        assert follow_delete(follower=ann, followee=bob) is True
        assert follow_delete(follower=ann, followee=bob) is False
        ann.refresh_from_db()
        bob.refresh_from_db()
        assert (ann.following_count, bob.follower_count) == (0, 0)

    def test_following_yourself_is_a_self_action(self) -> None:
        ann = make_user()
        for action in (follow_create, follow_delete):
            with pytest.raises(ValidationFailed) as exc:
                action(follower=ann, followee=ann)
            assert _code(exc) == ("userId", ErrorCode.SELF_ACTION)
        assert not Follow.objects.exists()

    def test_the_database_refuses_a_self_follow(self) -> None:
        from django.db import IntegrityError, transaction

        ann = make_user()
        with pytest.raises(IntegrityError), transaction.atomic():
            Follow.objects.create(follower=ann, followee=ann)


@pytest.mark.django_db(transaction=True)
def test_concurrent_likes_count_exactly() -> None:
    require_postgres_database()
    author = make_user("author")
    post = make_post(author)
    likers = [make_user(f"liker{i}") for i in range(12)]
    # Every liker twice at once: duplicates must be no-ops, the rest all counted.
    errors = _all_at_once([partial(like_create, user=u, post=post) for u in likers * 2])
    assert errors == []
    post.refresh_from_db()
    assert post.like_count == len(likers) == Like.objects.filter(post=post).count()
    assert Notification.objects.filter(kind="LIKE", post=post).count() == len(likers)


@pytest.mark.django_db(transaction=True)
def test_concurrent_follows_and_unfollows_count_exactly() -> None:
    require_postgres_database()
    star = make_user("star")
    fans = [make_user(f"fan{i}") for i in range(10)]
    for fan in fans[:5]:
        follow_create(follower=fan, followee=star)
    # The first five unfollow (twice at once), the other five follow (twice at once).
    errors = _all_at_once(
        [
            partial(
                follow_delete if fan in fans[:5] else follow_create, follower=fan, followee=star
            )
            for fan in fans * 2
        ]
    )
    assert errors == []
    star.refresh_from_db()
    assert star.follower_count == 5 == Follow.objects.filter(followee=star).count()
    assert (
        sorted(
            User.objects.filter(username__startswith="fan").values_list(
                "following_count", flat=True
            )
        )
        == [0] * 5 + [1] * 5
    )
