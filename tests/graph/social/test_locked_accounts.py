"""Locked accounts and follow requests through the API, on SQLite and PostgreSQL."""

from typing import Any

import pytest

from graph.ids import global_id
from notifications.models import Notification
from social.models import Follow, FollowRequest, Post, User
from tests.conftest import GqlCall
from tests.factories import make_follow, make_post, make_user

FOLLOW = """mutation($id: ID!) { followUser(userId: $id) {
  user { username isLocked viewerFollows viewerFollowRequested followerCount }
  errors { field code } } }"""
UNFOLLOW = """mutation($id: ID!) { unfollowUser(userId: $id) {
  user { username viewerFollows viewerFollowRequested } errors { code } } }"""
ACCEPT = """mutation($id: ID!) { acceptFollowRequest(userId: $id) {
  user { username followsViewer followingCount } errors { field code } } }"""
REJECT = """mutation($id: ID!) { rejectFollowRequest(userId: $id) {
  user { username followsViewer } errors { field code } } }"""
REQUESTS = """query($first: Int, $after: String) { followRequests(first: $first, after: $after) {
  edges { cursor node { username viewerFollows followsViewer viewerFollowRequested } }
  pageInfo { hasNextPage endCursor } } }"""
SET_LOCKED = """mutation($locked: Boolean!) { updateProfile(input: {isLocked: $locked}) {
  user { username isLocked followerCount } errors { code } } }"""
NOTIFICATIONS = "{ notifications { edges { node { kind actor { username } post { body } } } } }"


def _uid(user: User) -> str:
    return global_id("User", user.pk)


def _kinds(gql: GqlCall, user: User) -> list[tuple[str, str]]:
    data = gql(NOTIFICATIONS, as_user=user)["data"]["notifications"]["edges"]
    return [(e["node"]["kind"], e["node"]["actor"]["username"]) for e in data]


def _counts_are_exact() -> None:
    """Every user's stored counters equal a fresh COUNT(*) of the follows."""
    for user in User.objects.all():
        assert user.follower_count == Follow.objects.filter(followee=user).count(), user
        assert user.following_count == Follow.objects.filter(follower=user).count(), user


@pytest.fixture
def locked(db: None) -> User:
    return make_user("lena", is_locked=True)


def test_following_a_locked_account_asks_it(gql: GqlCall, locked: User) -> None:
    ann = make_user("ann")
    for _ in range(2):  # idempotent: one request, one notification
        result = gql(FOLLOW, {"id": _uid(locked)}, as_user=ann)["data"]["followUser"]
        assert result == {
            "user": {
                "username": "lena",
                "isLocked": True,
                "viewerFollows": False,
                "viewerFollowRequested": True,
                "followerCount": 0,
            },
            "errors": [],
        }
    assert not Follow.objects.exists()
    assert FollowRequest.objects.filter(requester=ann, target=locked).count() == 1
    assert _kinds(gql, locked) == [("FOLLOW_REQUEST", "ann")]
    _counts_are_exact()
    profile = gql('{ user(username: "lena") { isLocked viewerFollowRequested } }', as_user=ann)[
        "data"
    ]["user"]
    assert profile == {"isLocked": True, "viewerFollowRequested": True}
    anonymous = gql('{ user(username: "lena") { isLocked viewerFollowRequested } }')
    assert anonymous["data"]["user"] == {"isLocked": True, "viewerFollowRequested": False}


def test_unfollowing_withdraws_the_request_and_its_unread_notification(
    gql: GqlCall, locked: User
) -> None:
    ann = make_user("ann")
    gql(FOLLOW, {"id": _uid(locked)}, as_user=ann)
    result = gql(UNFOLLOW, {"id": _uid(locked)}, as_user=ann)["data"]["unfollowUser"]
    assert result["user"] == {
        "username": "lena",
        "viewerFollows": False,
        "viewerFollowRequested": False,
    }
    assert not FollowRequest.objects.exists()
    assert _kinds(gql, locked) == []
    assert gql("{ unreadNotificationCount }", as_user=locked)["data"] == {
        "unreadNotificationCount": 0
    }


def test_accepting_makes_the_follow_and_tells_the_requester(gql: GqlCall, locked: User) -> None:
    ann = make_user("ann")
    make_post(locked, "for my followers")
    gql(FOLLOW, {"id": _uid(locked)}, as_user=ann)
    assert (
        gql("{ homeFeed { edges { node { body } } } }", as_user=ann)["data"]["homeFeed"]["edges"]
        == []
    )

    result = gql(ACCEPT, {"id": _uid(ann)}, as_user=locked)["data"]["acceptFollowRequest"]
    assert result == {
        "user": {"username": "ann", "followsViewer": True, "followingCount": 1},
        "errors": [],
    }
    assert Follow.objects.filter(follower=ann, followee=locked).exists()
    assert not FollowRequest.objects.exists()
    _counts_are_exact()
    assert _kinds(gql, ann) == [("FOLLOW_ACCEPTED", "lena")]
    feed = gql("{ homeFeed { edges { node { body } } } }", as_user=ann)["data"]["homeFeed"]
    assert [e["node"]["body"] for e in feed["edges"]] == ["for my followers"]
    # Following again is idempotent: no new request now that ann follows.
    again = gql(FOLLOW, {"id": _uid(locked)}, as_user=ann)["data"]["followUser"]["user"]
    assert again["viewerFollows"] is True and again["viewerFollowRequested"] is False
    assert not FollowRequest.objects.exists()


def test_rejecting_removes_the_request_silently(gql: GqlCall, locked: User) -> None:
    ann = make_user("ann")
    gql(FOLLOW, {"id": _uid(locked)}, as_user=ann)
    result = gql(REJECT, {"id": _uid(ann)}, as_user=locked)["data"]["rejectFollowRequest"]
    assert result == {"user": {"username": "ann", "followsViewer": False}, "errors": []}
    assert not FollowRequest.objects.exists() and not Follow.objects.exists()
    assert _kinds(gql, ann) == []
    _counts_are_exact()


@pytest.mark.parametrize("mutation", [ACCEPT, REJECT])
def test_answering_a_request_that_does_not_exist_is_not_found(
    gql: GqlCall, locked: User, mutation: str
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    gql(FOLLOW, {"id": _uid(locked)}, as_user=bob)
    before = (Follow.objects.count(), FollowRequest.objects.count(), Notification.objects.count())
    for user_id in (_uid(ann), _uid(locked), global_id("Post", 1), "garbage"):
        data = gql(mutation, {"id": user_id}, as_user=locked)["data"]
        (payload,) = data.values()
        assert payload == {"user": None, "errors": [{"field": "userId", "code": "NOT_FOUND"}]}
    # bob's request is not someone else's to answer
    data = gql(mutation, {"id": _uid(bob)}, as_user=ann)["data"]
    assert next(iter(data.values()))["errors"] == [{"field": "userId", "code": "NOT_FOUND"}]
    after = (Follow.objects.count(), FollowRequest.objects.count(), Notification.objects.count())
    assert before == after


def test_follow_requests_need_sign_in(gql: GqlCall, locked: User) -> None:
    for query, variables in (
        (REQUESTS, {}),
        (ACCEPT, {"id": _uid(locked)}),
        (REJECT, {"id": _uid(locked)}),
    ):
        result = gql(query, variables)
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_follow_requests_are_listed_oldest_first_in_exact_pages(gql: GqlCall, locked: User) -> None:
    fans = [make_user(f"fan{i:02d}") for i in range(25)]
    for fan in fans:
        gql(FOLLOW, {"id": _uid(locked)}, as_user=fan)
    make_follow(locked, fans[3])  # a flag on one of them
    first = gql(REQUESTS, {"first": 20}, as_user=locked)["data"]["followRequests"]
    assert [e["node"]["username"] for e in first["edges"]] == [f"fan{i:02d}" for i in range(20)]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["edges"][3]["node"] == {
        "username": "fan03",
        "viewerFollows": True,
        "followsViewer": False,
        "viewerFollowRequested": False,
    }
    rest = gql(REQUESTS, {"first": 20, "after": first["pageInfo"]["endCursor"]}, as_user=locked)[
        "data"
    ]["followRequests"]
    assert [e["node"]["username"] for e in rest["edges"]] == [f"fan{i:02d}" for i in range(20, 25)]
    assert rest["pageInfo"]["hasNextPage"] is False
    # Another user's list is their own.
    assert gql(REQUESTS, {}, as_user=fans[0])["data"]["followRequests"]["edges"] == []


@pytest.mark.parametrize("first", [5, 50])
def test_follow_requests_page_has_a_flat_query_count(
    gql: GqlCall, locked: User, django_assert_max_num_queries: Any, first: int
) -> None:
    for i in range(60):
        gql(FOLLOW, {"id": _uid(locked)}, as_user=make_user(f"fan{i}"))
    token_query = 1  # reading the signed-in viewer
    with django_assert_max_num_queries(1 + token_query):
        result = gql(REQUESTS, {"first": first}, as_user=locked)
    assert len(result["data"]["followRequests"]["edges"]) == first


def test_unlocking_accepts_every_pending_request(gql: GqlCall, locked: User) -> None:
    fans = [make_user(f"fan{i}") for i in range(3)]
    for fan in fans:
        gql(FOLLOW, {"id": _uid(locked)}, as_user=fan)
    make_follow(fans[0], make_user("other"))
    result = gql(SET_LOCKED, {"locked": False}, as_user=locked)["data"]["updateProfile"]
    assert result == {
        "user": {"username": "lena", "isLocked": False, "followerCount": 3},
        "errors": [],
    }
    assert not FollowRequest.objects.exists()
    assert set(Follow.objects.filter(followee=locked).values_list("follower_id", flat=True)) == {
        fan.pk for fan in fans
    }
    _counts_are_exact()
    for fan in fans:
        assert _kinds(gql, fan) == [("FOLLOW_ACCEPTED", "lena")]
    # Locking again keeps the followers; a new follower then asks.
    gql(SET_LOCKED, {"locked": True}, as_user=locked)
    late = make_user("late")
    gql(FOLLOW, {"id": _uid(locked)}, as_user=late)
    assert FollowRequest.objects.filter(requester=late).exists()
    assert Follow.objects.filter(followee=locked).count() == 3


POST_QUERY = "query($id: ID!) { post(id: $id) { body } node(id: $id) { id } }"


def _bodies(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["body"] for edge in connection["edges"]]


def test_a_locked_accounts_posts_reach_only_its_followers_and_itself(
    gql: GqlCall, locked: User
) -> None:
    follower, stranger, writer = make_user("fol"), make_user("stranger"), make_user("writer")
    make_follow(follower, locked)  # lena is locked: this asks her, and she accepts
    gql(ACCEPT, {"id": _uid(follower)}, as_user=locked)
    secret = make_post(locked, "secret #hidden")
    reply = make_post(locked, "locked reply", reply_to=make_post(writer, "open question"))
    answer = make_post(writer, "answer to the secret", reply_to=secret)

    def sees(viewer: User | None) -> dict[str, Any]:
        kwargs = {} if viewer is None else {"as_user": viewer}
        query = """{ publicFeed { edges { node { body } } }
          hashtagFeed(tag: "hidden") { edges { node { body } } }
          user(username: "lena") { posts { edges { node { body } } } } }"""
        data = gql(query, **kwargs)["data"]
        one = gql(POST_QUERY, {"id": global_id("Post", secret.pk)}, **kwargs)["data"]
        thread = gql(
            "query($id: ID!) { post(id: $id) { replies { edges { node { body } } } } }",
            {"id": global_id("Post", reply.reply_to_id)},
            **kwargs,
        )["data"]["post"]
        parent = gql(
            "query($id: ID!) { post(id: $id) { body replyTo { body } } }",
            {"id": global_id("Post", answer.pk)},
            **kwargs,
        )["data"]["post"]
        return {
            "public": "secret #hidden" in _bodies(data["publicFeed"]),
            "hashtag": _bodies(data["hashtagFeed"]),
            "profile": len(data["user"]["posts"]["edges"]),
            "post": one["post"],
            "node": one["node"] is not None,
            "thread": _bodies(thread["replies"]),
            "replyTo": parent["replyTo"],
        }

    hidden = {
        "public": False,
        "hashtag": [],
        "profile": 0,
        "post": None,
        "node": False,
        "thread": [],
        "replyTo": None,
    }
    shown = {
        "public": True,
        "hashtag": ["secret #hidden"],
        "profile": 2,
        "post": {"body": "secret #hidden"},
        "node": True,
        "thread": ["locked reply"],
        "replyTo": {"body": "secret #hidden"},
    }
    assert sees(None) == hidden
    assert sees(stranger) == hidden
    assert sees(writer) == hidden
    assert sees(follower) == shown
    assert sees(locked) == shown
    # The profile itself stays visible to all, counts as stored.
    profile = gql('{ user(username: "lena") { postCount isLocked } }', as_user=stranger)
    assert profile["data"]["user"] == {"postCount": 2, "isLocked": True}
    # Hidden again once the follower leaves.
    gql(UNFOLLOW, {"id": _uid(locked)}, as_user=follower)
    assert sees(follower) == hidden
    assert Post.objects.filter(author=locked).count() == 2


def test_a_mention_in_a_locked_post_notifies_only_those_who_see_it(
    gql: GqlCall, locked: User
) -> None:
    follower, stranger = make_user("fol"), make_user("stranger")
    gql(FOLLOW, {"id": _uid(locked)}, as_user=follower)
    gql(ACCEPT, {"id": _uid(follower)}, as_user=locked)
    parent = make_post(stranger, "open post")
    make_post(locked, "hi @fol and @stranger", reply_to=parent)
    assert _kinds(gql, follower) == [("MENTION", "lena"), ("FOLLOW_ACCEPTED", "lena")]
    assert ("MENTION", "lena") not in _kinds(gql, stranger)
    assert ("REPLY", "lena") not in _kinds(gql, stranger)
    assert gql("{ unreadNotificationCount }", as_user=stranger)["data"] == {
        "unreadNotificationCount": 0
    }


def test_viewer_follow_requested_on_notification_actors_and_mentions(
    gql: GqlCall, locked: User
) -> None:
    ann = make_user("ann", is_locked=True)
    gql(FOLLOW, {"id": _uid(ann)}, as_user=locked)  # lena asks ann
    gql(FOLLOW, {"id": _uid(locked)}, as_user=ann)  # ann asks lena
    make_post(make_user("writer"), "hello @ann")
    actors = gql(
        "{ notifications { edges { node { kind actor { username viewerFollowRequested } } } } }",
        as_user=locked,
    )["data"]["notifications"]["edges"]
    assert [e["node"] for e in actors] == [
        {"kind": "FOLLOW_REQUEST", "actor": {"username": "ann", "viewerFollowRequested": True}}
    ]
    feed = gql(
        "{ publicFeed { edges { node { mentions { username viewerFollowRequested } } } } }",
        as_user=locked,
    )["data"]["publicFeed"]["edges"]
    assert feed[0]["node"]["mentions"] == [{"username": "ann", "viewerFollowRequested": True}]
    anonymous = gql("{ publicFeed { edges { node { mentions { viewerFollowRequested } } } } }")
    assert anonymous["data"]["publicFeed"]["edges"][0]["node"]["mentions"] == [
        {"viewerFollowRequested": False}
    ]
