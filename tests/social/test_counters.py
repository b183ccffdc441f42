"""Every stored counter equals a fresh COUNT(*) after any delete path (services, admin,
`manage.py shell`, QuerySet.delete(), cascades) and (de)activation; counts and lists agree
that a deactivated user's follows, likes and replies count nowhere."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from social.models import Follow, Like, Post, User
from social.services.accounts import user_update_profile
from social.services.follow_requests import follow_request_create
from social.services.follows import follow_create
from social.services.likes import like_create
from social.services.moderation import user_suspend, user_unsuspend
from social.services.posts import post_create
from tests.conftest import GqlCall
from tests.factories import make_user

pytestmark = pytest.mark.django_db


# A user counts while seen: active and not suspended (social/visibility.py, users_q).
def _seen(path: str) -> dict[str, Any]:
    return {f"{path}__is_active": True, f"{path}__suspended_at__isnull": True}


def _fresh_user_counts(user: User) -> tuple[int, int, int]:
    return (
        Follow.objects.filter(followee=user, **_seen("follower")).count(),
        Follow.objects.filter(follower=user, **_seen("followee")).count(),
        Post.objects.filter(author=user).count(),
    )


def _fresh_post_counts(post: Post) -> tuple[int, int]:
    return (
        Like.objects.filter(post=post, **_seen("user")).count(),
        Post.objects.filter(reply_to=post, **_seen("author")).count(),
    )


def assert_counts_exact() -> None:
    for user in User.objects.all():
        stored = (user.follower_count, user.following_count, user.post_count)
        assert stored == _fresh_user_counts(user), user.username
    for post in Post.objects.all():
        assert (post.like_count, post.reply_count) == _fresh_post_counts(post), post.pk


def _network() -> dict[str, Any]:
    """Six users who follow, post, reply (twice to one post) and like each other."""
    users = {name: make_user(name) for name in ("ann", "bob", "cat", "dan", "eve", "fay")}
    names = list(users)
    for i, name in enumerate(names):
        for other in names[i + 1 : i + 4]:
            follow_create(follower=users[name], followee=users[other])
            follow_create(follower=users[other], followee=users[name])
    posts = {name: post_create(author=user, body=f"by {name}") for name, user in users.items()}
    for name, user in users.items():
        for other in names:
            if other != name:
                like_create(user=user, post=posts[other])
        post_create(author=user, body="a reply", reply_to=posts["ann"])
    post_create(author=users["bob"], body="bob again", reply_to=posts["ann"])
    reply = post_create(author=users["cat"], body="reply to bob", reply_to=posts["bob"])
    like_create(user=users["ann"], post=reply)
    assert_counts_exact()
    return {"users": users, "posts": posts}


def _staff_client() -> Client:
    client = Client()
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def _admin_delete_user(user: User) -> None:
    response = _staff_client().post(f"/admin/social/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content
    assert not User.objects.filter(pk=user.pk).exists()


def _admin_bulk_delete_users(*users: User) -> None:
    response = _staff_client().post(
        "/admin/social/user/",
        {"action": "delete_selected", "_selected_action": [u.pk for u in users], "post": "yes"},
    )
    assert response.status_code == 302, response.content
    assert not User.objects.filter(pk__in=[u.pk for u in users]).exists()


def _admin_delete_posts(*posts: Post) -> None:
    response = _staff_client().post(
        "/admin/social/post/",
        {"action": "delete_posts", "_selected_action": [p.pk for p in posts]},
    )
    assert response.status_code == 302, response.content
    assert not Post.objects.filter(pk__in=[p.pk for p in posts]).exists()


DELETE_PATHS: dict[str, Callable[[dict[str, Any]], None]] = {
    "admin: delete one user": lambda n: _admin_delete_user(n["users"]["bob"]),
    "admin: delete selected users": lambda n: _admin_bulk_delete_users(
        n["users"]["bob"], n["users"]["cat"]
    ),
    "admin: delete selected posts": lambda n: _admin_delete_posts(
        n["posts"]["ann"], n["posts"]["bob"]
    ),
    "shell: user.delete() cascades": lambda n: User.objects.get(username="bob").delete(),
    "shell: User queryset delete": lambda n: User.objects.filter(
        username__in=["bob", "dan"]
    ).delete(),
    "shell: post.delete() cascades": lambda n: Post.objects.get(pk=n["posts"]["ann"].pk).delete(),
    "shell: Post queryset delete": lambda n: Post.objects.filter(author__username="bob").delete(),
    "shell: replies queryset delete": lambda n: Post.objects.filter(is_reply=True).delete(),
    "shell: Follow queryset delete": lambda n: Follow.objects.filter(
        follower__username="ann"
    ).delete(),
    "shell: Like queryset delete": lambda n: Like.objects.filter(user__username="eve").delete(),
    "shell: deactivate with save()": lambda n: _deactivate_with_save("bob"),
    "shell: deactivate with QuerySet.update()": lambda n: User.objects.filter(
        username__in=["bob", "cat"]
    ).update(is_active=False),
    "shell: deactivate, then delete": lambda n: (
        User.objects.filter(username="bob").update(is_active=False),
        User.objects.filter(username="bob").delete(),
    ),
    "shell: deactivate, then reactivate": lambda n: (
        User.objects.filter(username="bob").update(is_active=False),
        User.objects.filter(username="bob").update(is_active=True),
    ),
    "moderation: suspend": lambda n: _suspend("bob", "cat"),
    "moderation: suspend, then unsuspend": lambda n: (
        _suspend("bob"),
        user_unsuspend(moderator=_moderator(), user=User.objects.get(username="bob")),
    ),
    "shell: suspend with QuerySet.update()": lambda n: User.objects.filter(
        username__in=["bob", "cat"]
    ).update(suspended_at=timezone.now()),
    "shell: deactivate, suspend, reactivate (still suspended)": lambda n: (
        User.objects.filter(username="bob").update(is_active=False),
        User.objects.filter(username="bob").update(suspended_at=timezone.now()),
        User.objects.filter(username="bob").update(is_active=True),
    ),
    "shell: suspend, then delete": lambda n: (
        _suspend("bob"),
        User.objects.filter(username="bob").delete(),
    ),
    "unlocking accepts every follow request": lambda n: _unlock_with_requests(),
}


def _unlock_with_requests() -> None:
    # Ann is followed by bob (deactivated) and cat (suspended), who count nowhere, then
    # locks her account; two newcomers ask to follow her, and unlocking accepts them.
    ann = User.objects.get(username="ann")
    User.objects.filter(username="bob").update(is_active=False)
    _suspend("cat")
    user_update_profile(user=ann, is_locked=True)
    for name in ("gus", "hal"):
        follow_request_create(requester=make_user(name), target=ann)
    user_update_profile(user=User.objects.get(username="ann"), is_locked=False)
    assert Follow.objects.filter(followee=ann, follower__username__in=["gus", "hal"]).count() == 2


def _moderator() -> User:
    return User.objects.filter(username="mod").first() or make_user("mod", is_staff=True)


def _suspend(*usernames: str) -> None:
    for user in User.objects.filter(username__in=usernames):
        user_suspend(moderator=_moderator(), user=user)


def _deactivate_with_save(username: str) -> None:
    user = User.objects.get(username=username)
    user.is_active = False
    user.save()


@pytest.mark.parametrize("path", DELETE_PATHS)
def test_every_delete_path_keeps_every_count_exact(path: str) -> None:
    network = _network()
    DELETE_PATHS[path](network)
    assert_counts_exact()


def test_saving_a_stale_row_does_not_write_its_counters_back() -> None:
    network = _network()
    stale = User.objects.get(username="ann")
    stale_post = Post.objects.get(pk=network["posts"]["ann"].pk)
    newcomer = make_user("gus")
    follow_create(follower=newcomer, followee=network["users"]["ann"])
    like_create(user=newcomer, post=network["posts"]["ann"])
    stale.display_name = "Ann, edited in the shell"
    stale.save()
    stale_post.save()
    assert_counts_exact()
    assert User.objects.get(username="ann").display_name == "Ann, edited in the shell"


USER_LISTS = """query($u: String!) { user(username: $u) {
  followerCount followingCount postCount
  followers(first: 100) { edges { node { username } } }
  following(first: 100) { edges { node { username } } }
  posts(first: 100) { edges { node { id } } }
} }"""
POST_REPLIES = """query($id: ID!) { post(id: $id) {
  replyCount replies(first: 100) { edges { node { id } } } } }"""


@pytest.mark.parametrize("gone", ["deactivated", "suspended"])
def test_counts_and_lists_agree_about_deactivated_users(gql: GqlCall, gone: str) -> None:
    from graph.ids import global_id

    network = _network()
    if gone == "deactivated":
        User.objects.filter(username="bob").update(is_active=False)
    else:
        _suspend("bob")
    viewer = network["users"]["ann"]
    for name in ("ann", "cat", "dan", "eve", "fay"):
        user = gql(USER_LISTS, {"u": name}, as_user=viewer)["data"]["user"]
        assert user["followerCount"] == len(user["followers"]["edges"]), name
        assert user["followingCount"] == len(user["following"]["edges"]), name
        assert user["postCount"] == len(user["posts"]["edges"]), name
        assert "bob" not in str(user["followers"]) + str(user["following"])
    for post in Post.objects.exclude(author__username="bob"):
        found = gql(POST_REPLIES, {"id": global_id("Post", post.pk)}, as_user=viewer)
        shown = found["data"]["post"]
        assert shown["replyCount"] == len(shown["replies"]["edges"]), post.pk


def test_a_seed_pauses_the_triggers_for_its_own_transaction_only() -> None:
    from social.seed import SeedConfig, seed

    seed(SeedConfig(users=12, posts_per_user=2, follows_per_user=3, likes_per_user=2, seed=3))
    assert_counts_exact()
    # Outside the seed's transaction the triggers count again.
    Follow.objects.filter(pk__in=Follow.objects.values("pk")[:5]).delete()
    Like.objects.filter(pk__in=Like.objects.values("pk")[:5]).delete()
    Post.objects.filter(pk__in=Post.objects.filter(is_reply=False).values("pk")[:3]).delete()
    assert_counts_exact()
