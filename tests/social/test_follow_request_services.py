"""Follow requests at the service level, and the locked-account rule in each of its forms."""

from functools import partial

import pytest

from notifications.models import Notification
from social.errors import ValidationFailed
from social.models import Follow, FollowRequest, Post, User
from social.reads import posts as post_reads
from social.reads.flags import locked_of, many_viewers, people_of, post_with_viewer, posts_of
from social.reads.views import FULL_SHAPE
from social.selectors.posts import visible_post
from social.services.accounts import user_update_profile
from social.services.follow_requests import (
    follow_request_accept,
    follow_requests_between_delete,
)
from social.services.follows import follow_create, follow_delete
from social.visibility import hidden_post_pairs, posts_q
from tests.factories import make_post, make_user
from tests.services import require_postgres_database
from tests.social.test_post_services import _all_at_once


def _counts_are_exact() -> None:
    for user in User.objects.all():
        assert user.follower_count == Follow.objects.filter(followee=user).count(), user
        assert user.following_count == Follow.objects.filter(follower=user).count(), user


@pytest.mark.django_db
def test_requests_between_two_users_are_removed_both_ways() -> None:
    ann, bob = make_user("ann", is_locked=True), make_user("bob", is_locked=True)
    carol = make_user("carol")
    follow_create(follower=ann, followee=bob)
    follow_create(follower=bob, followee=ann)
    follow_create(follower=carol, followee=ann)
    assert FollowRequest.objects.count() == 3
    follow_requests_between_delete(a_id=ann.pk, b_id=bob.pk)
    assert list(FollowRequest.objects.values_list("requester__username", flat=True)) == ["carol"]
    # Their unread FOLLOW_REQUEST notifications go with them; carol's stays.
    assert list(Notification.objects.values_list("actor__username", flat=True)) == ["carol"]
    _counts_are_exact()


@pytest.mark.django_db
def test_accepting_twice_is_not_found_and_writes_nothing_more() -> None:
    lena, ann = make_user("lena", is_locked=True), make_user("ann")
    follow_create(follower=ann, followee=lena)
    follow_request_accept(target=lena, requester=ann)
    with pytest.raises(ValidationFailed) as failed:
        follow_request_accept(target=lena, requester=ann)
    assert failed.value.errors[0].code == "NOT_FOUND"
    assert Follow.objects.count() == 1
    assert Notification.objects.filter(kind="FOLLOW_ACCEPTED").count() == 1
    _counts_are_exact()


@pytest.mark.django_db
def test_unfollowing_a_followed_locked_account_keeps_it_locked_away() -> None:
    lena, ann = make_user("lena", is_locked=True), make_user("ann")
    follow_create(follower=ann, followee=lena)
    follow_request_accept(target=lena, requester=ann)
    post = make_post(lena, "for followers")
    assert visible_post(post_id=post.pk, viewer_id=ann.pk) is not None
    follow_delete(follower=ann, followee=lena)
    assert visible_post(post_id=post.pk, viewer_id=ann.pk) is None
    _counts_are_exact()


@pytest.mark.django_db
def test_the_q_the_sql_and_the_live_check_agree() -> None:
    lena = make_user("lena", is_locked=True)
    fol, stranger, open_writer = make_user("fol"), make_user("stranger"), make_user("open")
    follow_create(follower=fol, followee=lena)
    follow_request_accept(target=lena, requester=fol)
    follow_create(follower=stranger, followee=lena)  # pending only
    secret = make_post(lena, "secret")
    public = make_post(open_writer, "public")
    reply = make_post(open_writer, "reply to the secret", reply_to=secret)
    viewers: list[int | None] = [None, lena.pk, fol.pk, stranger.pk, open_writer.pk]
    expected = {None: False, lena.pk: True, fol.pk: True, stranger.pk: False, open_writer.pk: False}
    for viewer_id in viewers:
        by_q = set(Post.objects.filter(posts_q(viewer_id=viewer_id)).values_list("pk", flat=True))
        by_sql = {
            pk
            for pk in (secret.pk, public.pk, reply.pk)
            if post_reads.post_view(post_id=pk, viewer_id=viewer_id, shape=FULL_SHAPE)
        }
        assert (
            by_q
            == by_sql
            == ({secret.pk} if expected[viewer_id] else set())
            | {
                public.pk,
                reply.pk,
            }
        )
        # The parent, by its prefix.
        parents = Post.objects.filter(
            posts_q(viewer_id=viewer_id, prefix="reply_to__"), pk=reply.pk
        )
        assert parents.exists() is expected[viewer_id]

    # The live check: read once for everyone, then each viewer's own view.
    signed_in = [pk for pk in viewers if pk is not None]
    assert hidden_post_pairs(viewer_ids=signed_in, author_ids=[lena.pk, open_writer.pk]) == {
        (stranger.pk, lena.pk),
        (open_writer.pk, lena.pk),
    }
    base = post_reads.posts_by_ids(
        post_ids=[reply.pk], viewer_id=None, shape=FULL_SHAPE, keep_emails=True
    )[reply.pk]
    assert base.reply_to is not None and locked_of(base) == {lena.pk}
    seen = many_viewers(
        viewer_ids=signed_in,
        post_ids=posts_of(base),
        people=people_of(base),
        locked=locked_of(base),
    )
    for viewer_id in signed_in:
        view = post_with_viewer(base, viewer_id, seen)
        assert view is not None
        assert (view.reply_to is not None) is expected[viewer_id]
    stranger_view = post_with_viewer(base, stranger.pk, seen)
    assert stranger_view is not None and stranger_view.author.viewer_follow_requested is False
    as_stranger = post_reads.posts_by_ids(
        post_ids=[secret.pk], viewer_id=None, shape=FULL_SHAPE, keep_emails=True
    )[secret.pk]
    assert post_with_viewer(as_stranger, stranger.pk, seen) is None


@pytest.mark.django_db(transaction=True)
def test_unlocking_while_requests_arrive_leaves_none_pending_and_counts_exact() -> None:
    require_postgres_database()
    lena = make_user("lena", is_locked=True)
    early = [make_user(f"early{i}") for i in range(4)]
    late = [make_user(f"late{i}") for i in range(8)]
    for fan in early:
        follow_create(follower=fan, followee=lena)

    def unlock() -> None:
        user_update_profile(user=User.objects.get(pk=lena.pk), is_locked=False)

    actions = [unlock] + [partial(follow_create, follower=fan, followee=lena) for fan in late]
    assert _all_at_once(actions) == []
    # Whichever came first, every fan now follows, and nothing waits on an open account.
    assert not FollowRequest.objects.exists()
    assert Follow.objects.filter(followee=lena).count() == len(early) + len(late)
    _counts_are_exact()
