"""Deleting an account: everything it owns goes in one transaction, every count stays exact."""

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db.models import Count, Q

from notifications.models import Notification
from social.models import (
    Block,
    Follow,
    FollowRequest,
    Like,
    Mute,
    Post,
    PostHashtag,
    PostMention,
    RefreshToken,
    Report,
    Session,
    SessionRevocation,
    User,
)
from social.services.blocks import block_create
from social.services.follow_requests import follow_request_create
from social.services.mutes import mute_create
from social.services.reports import report_create
from social.services.tokens import token_pair_issue
from tests.factories import PASSWORD, make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db

DELETE = "mutation ($p: String!) { deleteAccount(password: $p) { ok errors { field code } } }"
ME = "{ me { username } }"
REGISTER = """
mutation ($input: RegisterInput!) { register(input: $input) { user { username } errors { code } } }
"""


def _table_counts() -> dict[str, int]:
    # Every table of ours, the many-to-many ones (a report's posts) included.
    return {
        model._meta.label: model.objects.count()  # type: ignore[attr-defined]
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label in {"social", "notifications"}
    }


def _network() -> tuple[User, list[User]]:
    dana, ann, ben = make_user("dana"), make_user("ann"), make_user("ben")
    make_follow(dana, ann)
    make_follow(ann, dana)
    make_follow(ben, dana)
    make_follow(ann, ben)
    own = make_post(dana, "mine #tagged @ann")
    make_post(dana, "another of mine")
    others = make_post(ann, "ann's post @dana #tagged")
    make_post(dana, "a reply", reply_to=others)
    make_post(dana, "a second reply", reply_to=others)
    make_post(ben, "ben replies to dana", reply_to=own)
    make_post(ann, "ann replies to ann", reply_to=others)
    make_like(dana, others)
    make_like(ann, own)
    make_like(ben, others)
    # Mutes, blocks and follow requests both ways; reports by and against her.
    carl, lena, finn = make_user("carl"), make_user("lena", is_locked=True), make_user("finn")
    mute_create(muter=dana, muted=ann)
    mute_create(muter=ben, muted=dana)
    block_create(blocker=dana, blocked=carl)
    block_create(blocker=finn, blocked=dana)
    follow_request_create(requester=dana, target=lena)  # lena is told: a notification
    User.objects.filter(pk=dana.pk).update(is_locked=True)
    dana.refresh_from_db()
    follow_request_create(requester=carl, target=make_user("lola", is_locked=True))
    follow_request_create(requester=ben, target=dana)
    report_create(reporter=ann, target=dana, reason="SPAM", post_ids=[own.pk])
    report_create(reporter=dana, target=ben, reason="SPAM")
    report_create(reporter=ann, target=ben, reason="HATE")
    token_pair_issue(user=dana)
    token_pair_issue(user=ann)
    return dana, [ann, ben]


def _owned_rows(user: User) -> dict[str, int]:
    """What must vanish with `user`, counted before."""
    posts = Post.objects.filter(author=user)
    return {
        "social.User": 1,
        "social.Post": posts.count(),
        "social.Follow": Follow.objects.filter(Q(follower=user) | Q(followee=user)).count(),
        "social.Like": Like.objects.filter(Q(user=user) | Q(post__in=posts)).count(),
        "social.PostHashtag": PostHashtag.objects.filter(post__in=posts).count(),
        "social.PostMention": PostMention.objects.filter(Q(post__in=posts) | Q(user=user)).count(),
        "social.RefreshToken": RefreshToken.objects.filter(user=user).count(),
        "social.Session": Session.objects.filter(user=user).count(),
        "social.Mute": Mute.objects.filter(Q(muter=user) | Q(muted=user)).count(),
        "social.Block": Block.objects.filter(Q(blocker=user) | Q(blocked=user)).count(),
        "social.FollowRequest": FollowRequest.objects.filter(
            Q(requester=user) | Q(target=user)
        ).count(),
        # Reports by and against the account go with it (the moderators' queue of a user
        # who no longer exists has nothing left to act on), and their posts' rows.
        "social.Report": Report.objects.filter(Q(reporter=user) | Q(target=user)).count(),
        "social.Report_posts": Report.posts.through.objects.filter(
            Q(report__reporter=user) | Q(report__target=user)
        ).count(),
        "notifications.Notification": Notification.objects.filter(
            Q(recipient=user) | Q(actor=user)
        ).count(),
    }


def _assert_counts_exact() -> None:
    users = User.objects.annotate(
        followers=Count("follower_links", distinct=True),
        followings=Count("following_links", distinct=True),
        posts_=Count("posts", distinct=True),
    )
    for user in users:
        assert (user.follower_count, user.following_count, user.post_count) == (
            user.followers,  # type: ignore[attr-defined]
            user.followings,  # type: ignore[attr-defined]
            user.posts_,  # type: ignore[attr-defined]
        ), user.username
    posts = Post.objects.annotate(
        likes_=Count("likes", distinct=True), replies_=Count("replies", distinct=True)
    )
    for post in posts:
        assert (post.like_count, post.reply_count) == (post.likes_, post.replies_), post.body  # type: ignore[attr-defined]


def test_deleting_an_account_removes_what_it_owns_and_keeps_every_count_exact(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    dana, _ = _network()
    _assert_counts_exact()
    before = _table_counts()
    owned = _owned_rows(dana)
    assert all(owned.values()), owned  # the network gives her rows of every kind
    sessions = Session.objects.filter(user=dana).count()
    token = token_pair_issue(user=dana).access_token

    with django_capture_on_commit_callbacks(execute=True):
        result = gql(DELETE, {"p": PASSWORD}, token=token)
    assert result["data"]["deleteAccount"] == {"ok": True, "errors": []}

    after = _table_counts()
    expected = {label: count - owned.get(label, 0) for label, count in before.items()}
    # The deletion's own record: one revocation per session signed out (no foreign key).
    expected["social.SessionRevocation"] = before["social.SessionRevocation"] + sessions + 1
    assert after == expected
    _assert_counts_exact()
    # Ben's reply to Dana's post stays, as a reply to nothing.
    reply = Post.objects.get(body="ben replies to dana")
    assert reply.reply_to_id is None and reply.is_reply
    assert gql(ME, token=token)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert SessionRevocation.objects.count() == sessions + 1


def test_the_username_and_email_are_free_again(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    dana = make_user("dana")
    with django_capture_on_commit_callbacks(execute=True):
        gql(DELETE, {"p": PASSWORD}, as_user=dana)
    variables = {"input": {"username": "DANA", "email": "Dana@Example.com", "password": PASSWORD}}
    assert gql(REGISTER, variables)["data"]["register"] == {
        "user": {"username": "DANA"},
        "errors": [],
    }


def test_a_wrong_password_deletes_nothing(gql: Any) -> None:
    dana, _ = _network()
    before = _table_counts()
    result = gql(DELETE, {"p": "wrong"}, as_user=dana)
    assert result["data"]["deleteAccount"] == {
        "ok": False,
        "errors": [{"field": "password", "code": "INVALID_CREDENTIALS"}],
    }
    assert _table_counts() == before


def test_delete_account_needs_sign_in(gql: Any) -> None:
    assert gql(DELETE, {"p": PASSWORD})["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
