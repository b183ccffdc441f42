"""muteUser, unmuteUser, mutedUsers and User.viewerMutes through the API, and what a mute
hides: the muted user's posts from the muter's feeds (not from their profile, post(id) or
threads) and, with notifications, their notifications from the list and the count."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from freezegun import freeze_time

from graph.ids import global_id
from notifications.models import Notification
from social.models import Mute, User
from social.services.mutes import mute_create
from tests.conftest import GqlCall
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db


MUTE = """mutation($input: MuteUserInput!) { muteUser(input: $input) {
  user { username viewerMutes } errors { field code } } }"""
UNMUTE = """mutation($id: ID!) { unmuteUser(userId: $id) {
  user { username viewerMutes } errors { field code } } }"""
MUTED = """query($first: Int, $after: String) { mutedUsers(first: $first, after: $after) {
  edges { cursor node { username viewerMutes viewerFollows } }
  pageInfo { hasNextPage endCursor } } }"""
FEEDS = """{ homeFeed(first: 20) { edges { node { body } } }
  publicFeed(first: 20) { edges { node { body } } }
  hashtagFeed(tag: "tag", first: 20) { edges { node { body } } } }"""


def _mute(gql: GqlCall, muter: User, muted: User | str, **extra: Any) -> dict[str, Any]:
    user_id = muted if isinstance(muted, str) else global_id("User", muted.pk)
    result = gql(MUTE, {"input": {"userId": user_id, **extra}}, as_user=muter)
    assert "errors" not in result, result
    payload: dict[str, Any] = result["data"]["muteUser"]
    return payload


def _bodies(result: dict[str, Any], name: str) -> list[str]:
    assert "errors" not in result, result
    return [edge["node"]["body"] for edge in result["data"][name]["edges"]]


def test_mute_and_unmute_show_the_flag_to_the_muter_only(gql: GqlCall) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    assert _mute(gql, ann, bob) == {
        "user": {"username": "bob", "viewerMutes": True},
        "errors": [],
    }
    # Idempotent, and the muted user is never told.
    assert _mute(gql, ann, bob, durationSeconds=60)["user"]["viewerMutes"] is True
    assert Mute.objects.count() == 1
    query = '{ user(username: "%s") { viewerMutes } }'
    assert gql(query % "bob", as_user=ann)["data"]["user"]["viewerMutes"] is True
    assert gql(query % "ann", as_user=bob)["data"]["user"]["viewerMutes"] is False
    assert gql(query % "bob")["data"]["user"]["viewerMutes"] is False  # signed out
    assert not Notification.objects.exists()
    result = gql(UNMUTE, {"id": global_id("User", bob.pk)}, as_user=ann)
    assert result["data"]["unmuteUser"] == {
        "user": {"username": "bob", "viewerMutes": False},
        "errors": [],
    }
    assert not Mute.objects.exists()


@pytest.mark.parametrize(
    ("extra", "target", "error"),
    [
        ({}, "self", {"field": "userId", "code": "SELF_ACTION"}),
        ({}, "missing", {"field": "userId", "code": "NOT_FOUND"}),
        ({}, "garbage", {"field": "userId", "code": "NOT_FOUND"}),
        ({}, "inactive", {"field": "userId", "code": "NOT_FOUND"}),
        ({"durationSeconds": 0}, "bob", {"field": "durationSeconds", "code": "INVALID"}),
        ({"durationSeconds": -60}, "bob", {"field": "durationSeconds", "code": "INVALID"}),
        (
            {"durationSeconds": 11 * 365 * 24 * 3600},
            "bob",
            {"field": "durationSeconds", "code": "INVALID"},
        ),
    ],
)
def test_bad_input_is_a_payload_error_and_writes_nothing(
    gql: GqlCall, extra: dict[str, Any], target: str, error: dict[str, str]
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    gone = make_user("gone", is_active=False)
    user_id = {
        "self": global_id("User", ann.pk),
        "missing": global_id("User", 10**9),
        "garbage": "not-an-id",
        "inactive": global_id("User", gone.pk),
        "bob": global_id("User", bob.pk),
    }[target]
    assert _mute(gql, ann, user_id, **extra) == {"user": None, "errors": [error]}
    assert not Mute.objects.exists()


def test_signed_out_callers_are_refused(gql: GqlCall) -> None:
    bob = make_user("bob")
    for query, variables in (
        (MUTE, {"input": {"userId": global_id("User", bob.pk)}}),
        (UNMUTE, {"id": global_id("User", bob.pk)}),
        (MUTED, {}),
    ):
        result = gql(query, variables)
        assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not Mute.objects.exists()


def test_feeds_leave_the_muted_user_out_and_the_profile_keeps_them(gql: GqlCall) -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    make_follow(ann, bob)
    make_follow(ann, cat)
    root = make_post(cat, "cat #tag")
    make_post(bob, "bob #tag")
    reply = make_post(bob, "bob replies #tag", reply_to=root)
    answer = make_post(cat, "cat answers bob #tag", reply_to=reply)
    before = gql(FEEDS, as_user=ann)
    assert "bob #tag" in _bodies(before, "homeFeed")

    _mute(gql, ann, bob)
    after = gql(FEEDS, as_user=ann)
    assert _bodies(after, "homeFeed") == ["cat answers bob #tag", "cat #tag"]
    assert _bodies(after, "publicFeed") == ["cat #tag"]
    assert _bodies(after, "hashtagFeed") == ["cat answers bob #tag", "cat #tag"]
    # Others' feeds are untouched.
    assert _bodies(gql(FEEDS, as_user=cat), "publicFeed") == ["bob #tag", "cat #tag"]

    # Visiting: the profile, post(id) and the thread still show them.
    profile = gql('{ user(username: "bob") { posts { edges { node { body } } } } }', as_user=ann)
    assert [e["node"]["body"] for e in profile["data"]["user"]["posts"]["edges"]] == [
        "bob replies #tag",
        "bob #tag",
    ]
    post = gql(
        "query($id: ID!) { post(id: $id) { body author { viewerMutes } } }",
        {"id": global_id("Post", reply.pk)},
        as_user=ann,
    )
    assert post["data"]["post"] == {"body": "bob replies #tag", "author": {"viewerMutes": True}}
    thread = gql(
        "query($id: ID!) { post(id: $id) { replies { edges { node { body } } } } }",
        {"id": global_id("Post", root.pk)},
        as_user=ann,
    )
    assert [e["node"]["body"] for e in thread["data"]["post"]["replies"]["edges"]] == [
        "bob replies #tag"
    ]
    # A post someone else wrote stays in the feed, its parent shown as post(id) shows it.
    parent = gql(
        "{ homeFeed(first: 1) { edges { node { replyTo { body author { viewerMutes } } } } } }",
        as_user=ann,
    )
    assert parent["data"]["homeFeed"]["edges"][0]["node"]["replyTo"] == {
        "body": "bob replies #tag",
        "author": {"viewerMutes": True},
    }
    assert answer.reply_to_id == reply.pk


def test_a_timed_mute_ends_by_itself(gql: GqlCall) -> None:
    start = timezone.now()
    with freeze_time(start):
        ann, bob = make_user("ann"), make_user("bob")
        make_post(bob, "bob #tag")
        _mute(gql, ann, bob, durationSeconds=3600)
        assert _bodies(gql(FEEDS, as_user=ann), "publicFeed") == []
        assert len(gql(MUTED, as_user=ann)["data"]["mutedUsers"]["edges"]) == 1
    with freeze_time(start + timedelta(hours=1, seconds=1)):
        assert _bodies(gql(FEEDS, as_user=ann), "publicFeed") == ["bob #tag"]
        assert gql(MUTED, as_user=ann)["data"]["mutedUsers"]["edges"] == []
        viewer_mutes = gql('{ user(username: "bob") { viewerMutes } }', as_user=ann)
        assert viewer_mutes["data"]["user"]["viewerMutes"] is False


NOTIFICATIONS = """{ unreadNotificationCount notifications(first: 10) {
  edges { node { kind actor { username viewerMutes } } } } }"""


def test_notifications_from_a_muted_user_are_neither_stored_listed_nor_counted(
    gql: GqlCall,
) -> None:
    ann, bob, cat = make_user("ann"), make_user("bob"), make_user("cat")
    make_follow(bob, ann)  # before the mute: stored, then hidden while it lasts
    _mute(gql, ann, bob)
    make_follow(cat, ann)
    by_ann = make_post(ann, "ann")
    make_like(bob, by_ann)
    make_post(bob, "@ann hello", reply_to=by_ann)
    assert Notification.objects.filter(recipient=ann, actor=bob).count() == 1
    data = gql(NOTIFICATIONS, as_user=ann)["data"]
    assert data["unreadNotificationCount"] == 1
    assert [e["node"]["actor"]["username"] for e in data["notifications"]["edges"]] == ["cat"]

    gql(UNMUTE, {"id": global_id("User", bob.pk)}, as_user=ann)
    data = gql(NOTIFICATIONS, as_user=ann)["data"]
    assert data["unreadNotificationCount"] == 2
    assert [e["node"]["actor"]["username"] for e in data["notifications"]["edges"]] == [
        "cat",
        "bob",
    ]


def test_a_mute_without_notifications_keeps_them(gql: GqlCall) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    _mute(gql, ann, bob, notifications=False)
    make_follow(bob, ann)
    data = gql(NOTIFICATIONS, as_user=ann)["data"]
    assert data["unreadNotificationCount"] == 1
    assert data["notifications"]["edges"][0]["node"]["actor"] == {
        "username": "bob",
        "viewerMutes": True,
    }


@pytest.fixture
def many_mutes(db: None) -> User:
    """The viewer muted 25 users (most recent: muted24) and 10 more whose mutes expired,
    in between them."""
    viewer = make_user("viewer")
    start = timezone.now() - timedelta(days=1)
    for i in range(25):
        with freeze_time(start + timedelta(minutes=2 * i)):
            mute_create(muter=viewer, muted=make_user(f"muted{i:02}"))
        with freeze_time(start + timedelta(minutes=2 * i + 1)):
            mute_create(muter=viewer, muted=make_user(f"over{i:02}"), duration_seconds=30)
    # Someone else's mutes are not the viewer's.
    mute_create(muter=make_user("other"), muted=viewer)
    return viewer


def test_muted_users_pages_are_exact_under_the_expiry(gql: GqlCall, many_mutes: User) -> None:
    first = gql(MUTED, {"first": 20}, as_user=many_mutes)["data"]["mutedUsers"]
    names = [e["node"]["username"] for e in first["edges"]]
    assert names == [f"muted{i:02}" for i in range(24, 4, -1)]
    assert first["pageInfo"]["hasNextPage"] is True
    assert all(e["node"]["viewerMutes"] for e in first["edges"])
    rest = gql(MUTED, {"first": 20, "after": first["pageInfo"]["endCursor"]}, as_user=many_mutes)
    rest = rest["data"]["mutedUsers"]
    assert [e["node"]["username"] for e in rest["edges"]] == [
        f"muted{i:02}" for i in range(4, -1, -1)
    ]
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [5, 100])
def test_muted_users_take_one_query_at_any_page_size(
    gql: GqlCall, many_mutes: User, django_assert_max_num_queries: Any, first: int
) -> None:
    with django_assert_max_num_queries(1):
        result = gql(MUTED, {"first": first}, as_user=many_mutes)
    assert len(result["data"]["mutedUsers"]["edges"]) == min(first, 25)


def test_feed_pages_are_exact_under_the_mute(gql: GqlCall) -> None:
    viewer, loud, quiet = make_user("viewer"), make_user("loud"), make_user("quiet")
    make_follow(viewer, loud)
    make_follow(viewer, quiet)
    for i in range(25):
        make_post(quiet, f"quiet {i}")
        make_post(loud, f"loud {i}")
    mute_create(muter=viewer, muted=loud)
    query = """query($after: String) { homeFeed(first: 20, after: $after) {
      edges { node { body } } pageInfo { hasNextPage endCursor } } }"""
    page = gql(query, as_user=viewer)["data"]["homeFeed"]
    assert [e["node"]["body"] for e in page["edges"]] == [f"quiet {i}" for i in range(24, 4, -1)]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = gql(query, {"after": page["pageInfo"]["endCursor"]}, as_user=viewer)["data"]
    assert [e["node"]["body"] for e in rest["homeFeed"]["edges"]] == [
        f"quiet {i}" for i in range(4, -1, -1)
    ]
    assert rest["homeFeed"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [5, 100])
def test_feeds_with_viewer_mutes_keep_their_query_counts(
    gql: GqlCall, django_assert_max_num_queries: Any, first: int
) -> None:
    viewer, loud = make_user("viewer"), make_user("loud")
    make_user("pal")  # mentioned, not muted
    writers = [make_user(f"w{i}") for i in range(3)]
    for writer in [loud, *writers]:
        make_follow(viewer, writer)
    for i in range(110):
        make_post(writers[i % 3], f"post {i} @loud @pal")
        make_post(loud, f"loud {i}")
    mute_create(muter=viewer, muted=loud, notifications=False)
    query = """query($first: Int) { homeFeed(first: $first) { edges { node {
      body author { viewerMutes } mentions { username viewerMutes } } } } }"""
    # The rows, then the mentions (and on SQLite the tags are not asked for).
    with django_assert_max_num_queries(2):
        result = gql(query, {"first": first}, as_user=viewer)
    edges = result["data"]["homeFeed"]["edges"]
    assert len(edges) == first
    assert all(not e["node"]["author"]["viewerMutes"] for e in edges)
    assert all([m["viewerMutes"] for m in e["node"]["mentions"]] == [True, False] for e in edges)
