"""A mutation's payload carries what a client cache needs without a refetch: the signed-in
user's own fresh counts (`viewer`), and a deleted reply's parent with its fresh replyCount."""

from typing import Any

import pytest

from graph.ids import global_id
from social.models import User
from tests.factories import make_follow, make_post, make_user

pytestmark = pytest.mark.django_db

COUNTS = "{ id username followerCount followingCount }"
FOLLOW = f"""mutation($id: ID!) {{ followUser(userId: $id) {{
  user {COUNTS} viewer {COUNTS} errors {{ code }} }} }}"""
UNFOLLOW = f"""mutation($id: ID!) {{ unfollowUser(userId: $id) {{
  user {COUNTS} viewer {COUNTS} errors {{ code }} }} }}"""
BLOCK = f"""mutation($id: ID!) {{ blockUser(userId: $id) {{
  user {{ id viewerBlocks }} viewer {COUNTS} errors {{ code }} }} }}"""
ACCEPT = f"""mutation($id: ID!) {{ acceptFollowRequest(userId: $id) {{
  user {COUNTS} viewer {COUNTS} errors {{ code }} }} }}"""
DELETE = """mutation($id: ID!) { deletePost(id: $id) {
  deletedId replyTo { id replyCount } errors { code } } }"""


def _id(user: User) -> dict[str, str]:
    return {"id": global_id("User", user.pk)}


def test_follow_and_unfollow_give_the_viewer_their_fresh_following_count(gql: Any) -> None:
    ana, ben = make_user("ana"), make_user("ben")
    followed = gql(FOLLOW, _id(ben), as_user=ana)["data"]["followUser"]
    assert followed["viewer"] == {
        "id": global_id("User", ana.pk),
        "username": "ana",
        "followerCount": 0,
        "followingCount": 1,
    }
    assert followed["user"]["followerCount"] == 1
    unfollowed = gql(UNFOLLOW, _id(ben), as_user=ana)["data"]["unfollowUser"]
    assert unfollowed["viewer"]["followingCount"] == 0


def test_a_block_gives_the_viewer_their_counts_without_the_follows_it_removed(gql: Any) -> None:
    ana, ben = make_user("ana"), make_user("ben")
    make_follow(ana, ben)
    make_follow(ben, ana)
    blocked = gql(BLOCK, _id(ben), as_user=ana)["data"]["blockUser"]
    assert blocked["user"]["viewerBlocks"] is True
    assert (blocked["viewer"]["followerCount"], blocked["viewer"]["followingCount"]) == (0, 0)


def test_accepting_a_request_gives_the_viewer_their_new_follower_count(gql: Any) -> None:
    ana, ben = make_user("ana", is_locked=True), make_user("ben")
    make_follow(ben, ana)  # a request: ana is locked
    accepted = gql(ACCEPT, _id(ben), as_user=ana)["data"]["acceptFollowRequest"]
    assert accepted["errors"] == []
    assert accepted["viewer"]["followerCount"] == 1


def test_a_refused_mutation_still_shows_the_viewer_unchanged(gql: Any) -> None:
    ana = make_user("ana")
    refused = gql(FOLLOW, _id(ana), as_user=ana)["data"]["followUser"]
    assert [e["code"] for e in refused["errors"]] == ["SELF_ACTION"]
    assert refused["user"] is None and refused["viewer"]["followingCount"] == 0


def test_deleting_a_reply_gives_its_parent_with_the_reply_count_one_less(gql: Any) -> None:
    ana, ben = make_user("ana"), make_user("ben")
    parent = make_post(ana, "parent")
    reply = make_post(ben, "reply", reply_to=parent)
    make_post(ana, "another", reply_to=parent)
    deleted = gql(DELETE, {"id": global_id("Post", reply.pk)}, as_user=ben)["data"]["deletePost"]
    assert deleted["replyTo"] == {"id": global_id("Post", parent.pk), "replyCount": 1}
    top = gql(DELETE, {"id": global_id("Post", parent.pk)}, as_user=ana)["data"]["deletePost"]
    assert top["replyTo"] is None and top["errors"] == []
