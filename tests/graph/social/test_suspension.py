"""A suspended account: cannot sign in, signed out at once, gone for everyone on every read
path; unsuspending brings it back as it was."""

from collections.abc import Callable
from typing import Any

import pytest

from graph.ids import global_id
from social import revocations
from social.models import Follow, Post, Session, User
from social.services.blocks import block_create
from social.services.follow_requests import follow_request_create
from social.services.moderation import user_suspend, user_unsuspend
from social.services.mutes import mute_create
from tests.factories import PASSWORD, make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db


LOGIN = """
mutation($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) {
    accessToken refreshToken errors { field code }
  }
}
"""
REFRESH = (
    "mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken errors { code } } }"
)
EVERY_PATH = """
query($troll: ID!, $trollPost: ID!, $alicePost: ID!) {
  user(username: "troll") { username postCount posts(first: 10) { edges { node { body } } } }
  node(id: $troll) { id }
  post(id: $trollPost) { body }
  homeFeed(first: 20) { edges { node { author { username } } } }
  publicFeed(first: 20) { edges { node { author { username } } } }
  hashtagFeed(tag: "tea", first: 20) { edges { node { author { username } } } }
  searchUsers(query: "troll", first: 10) { edges { node { username } } }
  thread: post(id: $alicePost) {
    replyCount replies(first: 10) { edges { node { author { username } } } }
  }
  notifications(first: 20) { edges { node { kind actor { username } } } }
  unreadNotificationCount
  me { followerCount followingCount }
}
"""


def _authors(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["author"]["username"] for edge in connection["edges"]]


def _seen_by_alice(gql: Any, alice: User, troll: User, troll_post: Post, alice_post: Post) -> Any:
    variables = {
        "troll": global_id("User", troll.pk),
        "trollPost": global_id("Post", troll_post.pk),
        "alicePost": global_id("Post", alice_post.pk),
    }
    result = gql(EVERY_PATH, variables, as_user=alice)
    assert "errors" not in result, result
    data = result["data"]
    return {
        "user": data["user"] and data["user"]["username"],
        "user posts": data["user"] and len(data["user"]["posts"]["edges"]),
        "node": data["node"] is not None,
        "post": data["post"] is not None,
        "home": "troll" in _authors(data["homeFeed"]),
        "public": "troll" in _authors(data["publicFeed"]),
        "hashtag": "troll" in _authors(data["hashtagFeed"]),
        "search": [edge["node"]["username"] for edge in data["searchUsers"]["edges"]],
        "replies": _authors(data["thread"]["replies"]),
        "notifications from troll": sorted(
            edge["node"]["kind"]
            for edge in data["notifications"]["edges"]
            if edge["node"]["actor"]["username"] == "troll"
        ),
        "unread": data["unreadNotificationCount"],
        # Stored totals, as Mastodon shows them: not filtered per viewer (but a suspended
        # account, gone for everyone, counts nowhere).
        "counts": (data["me"]["followerCount"], data["thread"]["replyCount"]),
    }


def _login(gql: Any, password: str = PASSWORD) -> dict[str, Any]:
    return gql(LOGIN, {"login": "troll", "password": password})["data"]["login"]  # type: ignore[no-any-return]


def test_a_suspended_account_is_gone_for_everyone_and_comes_back_as_it_was(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    alice, troll, moderator = make_user("alice"), make_user("troll"), make_user("mod")
    make_user("trolley")  # a search still finds others
    alice_post = make_post(alice, "my garden")
    make_follow(alice, troll)
    make_follow(troll, alice)
    troll_post = make_post(troll, "hello @alice #tea")
    make_post(troll, "nonsense", reply_to=alice_post)
    make_like(troll, alice_post)
    signed_in = _login(gql)
    before = _seen_by_alice(gql, alice, troll, troll_post, alice_post)
    assert before == {
        "user": "troll",
        "user posts": 2,
        "node": True,
        "post": True,
        "home": True,
        "public": True,
        "hashtag": True,
        "search": ["troll", "trolley"],
        "replies": ["troll"],
        "notifications from troll": ["FOLLOW", "LIKE", "MENTION", "REPLY"],
        "unread": 4,
        "counts": (1, 1),
    }

    with django_capture_on_commit_callbacks(execute=True):
        assert user_suspend(user=troll, moderator=moderator) is True

    assert _seen_by_alice(gql, alice, troll, troll_post, alice_post) == {
        **before,
        "user": None,
        "user posts": None,
        "node": False,
        "post": False,
        "home": False,
        "public": False,
        "hashtag": False,
        "search": ["trolley"],
        "replies": [],
        "notifications from troll": [],
        "unread": 0,
        # Gone for everyone, so out of the stored totals too, as a deactivated account is:
        # counts agree with lists (issue 19, item 5; social/migrations/0011).
        "counts": (0, 0),
    }
    # Signed out at once, everywhere: the access token stops, the refresh token is revoked.
    session = Session.objects.get(user=troll)
    assert session.revoked_at is not None and revocations.is_revoked(str(session.key))
    me = gql("{ me { username } }", token=signed_in["accessToken"])
    assert me["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert gql(REFRESH, {"t": signed_in["refreshToken"]})["data"]["refreshToken"]["errors"] == [
        {"code": "INVALID_TOKEN"}
    ]
    # The right password says why; a wrong one says nothing more than for anyone.
    assert _login(gql)["errors"] == [{"field": None, "code": "SUSPENDED"}]
    assert _login(gql)["accessToken"] is None
    assert _login(gql, "wrong-password")["errors"] == [
        {"field": None, "code": "INVALID_CREDENTIALS"}
    ]
    # Nothing was deleted.
    assert Post.objects.filter(author=troll).count() == 2
    assert Follow.objects.filter(follower=troll).exists()

    assert user_unsuspend(user=troll, moderator=moderator) is True

    assert _seen_by_alice(gql, alice, troll, troll_post, alice_post) == before
    back = _login(gql)
    assert back["errors"] == [] and back["accessToken"]
    assert gql("{ me { username } }", token=back["accessToken"])["data"]["me"] == {
        "username": "troll"
    }


def test_suspending_twice_records_once(django_capture_on_commit_callbacks: Any) -> None:
    from social.models import ModeratorAction

    troll, moderator = make_user("troll"), make_user("mod")
    with django_capture_on_commit_callbacks(execute=True):
        assert user_suspend(user=troll, moderator=moderator) is True
        assert user_suspend(user=troll, moderator=moderator) is False
    assert user_unsuspend(user=troll, moderator=moderator) is True
    assert user_unsuspend(user=troll, moderator=moderator) is False
    assert list(ModeratorAction.objects.order_by("pk").values_list("kind", flat=True)) == [
        "SUSPEND",
        "UNSUSPEND",
    ]


USER_LISTS = """{
  me {
    followers(first: 10) { edges { node { username } } }
    following(first: 10) { edges { node { username } } }
  }
  followRequests(first: 10) { edges { node { username } } }
  blockedUsers(first: 10) { edges { node { username } } }
  mutedUsers(first: 10) { edges { node { username } } }
}"""


def _listed(gql: Any, viewer: User) -> dict[str, list[str]]:
    data = gql(USER_LISTS, as_user=viewer)["data"]
    lists = {**data.pop("me"), **data}
    return {name: [e["node"]["username"] for e in conn["edges"]] for name, conn in lists.items()}


def test_suspended_accounts_leave_every_list_of_users_and_come_back(gql: Any) -> None:
    """Gone for everyone: out of followers, following, followRequests, blockedUsers and
    mutedUsers as out of search, each list with a visible user kept beside them."""
    lena, moderator = make_user("lena", is_locked=True), make_user("mod", is_staff=True)
    trolls = {
        name: make_user(f"troll_{name}") for name in ("follower", "asker", "blocked", "muted")
    }
    kept = {name: make_user(f"kept_{name}") for name in ("follower", "asker", "blocked", "muted")}
    for group in (trolls, kept):
        Follow.objects.create(follower=group["follower"], followee=lena)  # approved
        follow_request_create(requester=group["asker"], target=lena)
        block_create(blocker=lena, blocked=group["blocked"])
        mute_create(muter=lena, muted=group["muted"])
        make_follow(lena, group["follower"])
    before = _listed(gql, lena)
    assert before == {
        "followers": ["kept_follower", "troll_follower"],
        "following": ["kept_follower", "troll_follower"],
        "followRequests": ["troll_asker", "kept_asker"],
        "blockedUsers": ["kept_blocked", "troll_blocked"],
        "mutedUsers": ["kept_muted", "troll_muted"],
    }

    for troll in trolls.values():
        user_suspend(user=troll, moderator=moderator)
    assert _listed(gql, lena) == {
        name: [username for username in listed if username.startswith("kept_")]
        for name, listed in before.items()
    }

    for troll in trolls.values():
        user_unsuspend(user=troll, moderator=moderator)
    assert _listed(gql, lena) == before
