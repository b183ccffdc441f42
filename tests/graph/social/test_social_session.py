"""A scripted session: three users follow, post, reply, like, mention and tag."""

from typing import Any

import pytest

from tests.conftest import GqlCall
from tests.factories import make_user

POST_FIELDS = """
  id body createdAt editedAt likeCount replyCount viewerHasLiked hashtags
  author { id username followerCount followingCount postCount viewerFollows followsViewer }
  mentions { username }
  replyTo { id author { username } }
"""

CREATE = (
    "mutation($input: CreatePostInput!) { createPost(input: $input) { post {"
    + POST_FIELDS
    + "} errors { field code message } } }"
)
FOLLOW = """mutation($id: ID!) { followUser(userId: $id) {
  user { username followerCount viewerFollows followsViewer } errors { field code } } }"""
UNFOLLOW = """mutation($id: ID!) { unfollowUser(userId: $id) {
  user { username followerCount viewerFollows } errors { field code } } }"""
LIKE = """mutation($id: ID!) { likePost(postId: $id) {
  post { likeCount viewerHasLiked } errors { field code } } }"""
UNLIKE = """mutation($id: ID!) { unlikePost(postId: $id) {
  post { likeCount viewerHasLiked } errors { field code } } }"""
HOME = "query($first: Int) { homeFeed(first: $first) { edges { node {" + POST_FIELDS + "} } } }"
PUBLIC = "query { publicFeed { edges { node { body } } pageInfo { hasNextPage } } }"
HASHTAG = "query($tag: String!) { hashtagFeed(tag: $tag) { edges { node { body } } } }"
THREAD = """query($id: ID!) { post(id: $id) { body replyCount
  replies { edges { node { body replyTo { body } } } } } }"""
USER = """query($u: String!) { user(username: $u) {
  followerCount followingCount postCount viewerFollows followsViewer
  followers { edges { node { username } } }
  following { edges { node { username } } }
  posts { edges { node { body } } }
} }"""


def _ok(result: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in result, result
    return result["data"]


def _user_id(gql: GqlCall, username: str, viewer: Any) -> str:
    return _ok(
        gql("query($u: String!) { user(username: $u) { id } }", {"u": username}, as_user=viewer)
    )["user"]["id"]


def _bodies(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["body"] for edge in connection["edges"]]


@pytest.mark.django_db
def test_three_users_see_the_feeds_counts_flags_and_threads(gql: GqlCall) -> None:
    ann = make_user("ann")
    bob = make_user("bob")
    cat = make_user("cat")
    ann_id, bob_id, cat_id = (_user_id(gql, u.username, ann) for u in (ann, bob, cat))

    # ann and bob follow each other; cat follows ann; following twice changes nothing.
    assert _ok(gql(FOLLOW, {"id": bob_id}, as_user=ann))["followUser"] == {
        "user": {
            "username": "bob",
            "followerCount": 1,
            "viewerFollows": True,
            "followsViewer": False,
        },
        "errors": [],
    }
    _ok(gql(FOLLOW, {"id": bob_id}, as_user=ann))
    _ok(gql(FOLLOW, {"id": ann_id}, as_user=bob))
    _ok(gql(FOLLOW, {"id": ann_id}, as_user=cat))
    followed_self = _ok(gql(FOLLOW, {"id": ann_id}, as_user=ann))["followUser"]
    assert followed_self == {"user": None, "errors": [{"field": "userId", "code": "SELF_ACTION"}]}

    # ann posts with a mention of BOB (any case) and tags; a mention of nobody is dropped.
    first = _ok(
        gql(
            CREATE,
            {"input": {"body": "  Hi @BOB and @nobody! #Django #café #django #x_1  "}},
            as_user=ann,
        )
    )["createPost"]
    assert first["errors"] == []
    p1 = first["post"]
    assert p1["body"] == "Hi @BOB and @nobody! #Django #café #django #x_1"
    assert p1["hashtags"] == ["django", "café", "x_1"]
    assert p1["mentions"] == [{"username": "bob"}]
    assert p1["author"]["username"] == "ann"
    assert p1["author"]["postCount"] == 1
    assert p1["replyTo"] is None and p1["editedAt"] is None

    # bob replies mentioning cat; cat posts a top-level post; cat replies to bob's reply.
    reply = _ok(
        gql(CREATE, {"input": {"body": "@cat look #Django", "replyTo": p1["id"]}}, as_user=bob)
    )["createPost"]["post"]
    assert reply["replyTo"] == {"id": p1["id"], "author": {"username": "ann"}}
    assert [m["username"] for m in reply["mentions"]] == ["cat"]
    cat_post = _ok(gql(CREATE, {"input": {"body": "cat here"}}, as_user=cat))["createPost"]["post"]
    nested = _ok(gql(CREATE, {"input": {"body": "nested", "replyTo": reply["id"]}}, as_user=cat))[
        "createPost"
    ]["post"]

    # likes: idempotent, exact counts and flags per viewer.
    assert _ok(gql(LIKE, {"id": p1["id"]}, as_user=bob))["likePost"]["post"] == {
        "likeCount": 1,
        "viewerHasLiked": True,
    }
    assert _ok(gql(LIKE, {"id": p1["id"]}, as_user=bob))["likePost"]["post"]["likeCount"] == 1
    assert _ok(gql(LIKE, {"id": p1["id"]}, as_user=cat))["likePost"]["post"]["likeCount"] == 2
    assert _ok(gql(UNLIKE, {"id": p1["id"]}, as_user=cat))["unlikePost"]["post"] == {
        "likeCount": 1,
        "viewerHasLiked": False,
    }
    assert _ok(gql(UNLIKE, {"id": p1["id"]}, as_user=cat))["unlikePost"]["post"]["likeCount"] == 1

    # ann's home feed: her own posts and bob's, newest first; never cat's.
    home = _ok(gql(HOME, {"first": 10}, as_user=ann))["homeFeed"]["edges"]
    assert [e["node"]["body"] for e in home] == ["@cat look #Django", p1["body"]]
    ann_view_of_p1 = home[1]["node"]
    assert ann_view_of_p1["likeCount"] == 1 and ann_view_of_p1["replyCount"] == 1
    assert ann_view_of_p1["viewerHasLiked"] is False
    assert home[0]["node"]["author"]["viewerFollows"] is True
    assert home[0]["node"]["author"]["followsViewer"] is True

    # bob sees the same two posts, with his like and the author's flags from his side.
    bob_home = _ok(gql(HOME, {"first": 10}, as_user=bob))["homeFeed"]["edges"]
    assert [e["node"]["id"] for e in bob_home] == [reply["id"], p1["id"]]
    assert bob_home[1]["node"]["viewerHasLiked"] is True
    assert bob_home[1]["node"]["author"]["viewerFollows"] is True

    # cat follows ann only: ann's post, and cat's own posts.
    cat_home = _ok(gql(HOME, {"first": 10}, as_user=cat))["homeFeed"]["edges"]
    assert [e["node"]["body"] for e in cat_home] == ["nested", "cat here", p1["body"]]
    assert cat_home[2]["node"]["author"]["followsViewer"] is False

    # The public feed has top-level posts only; anyone may read it.
    assert _bodies(_ok(gql(PUBLIC))["publicFeed"]) == ["cat here", p1["body"]]
    for tag in ("django", "#DJANGO", " Django "):
        assert _bodies(_ok(gql(HASHTAG, {"tag": tag}))["hashtagFeed"]) == [
            "@cat look #Django",
            p1["body"],
        ]
    assert _bodies(_ok(gql(HASHTAG, {"tag": "CAFÉ"}))["hashtagFeed"]) == [p1["body"]]

    # The thread reads top to bottom.
    thread = _ok(gql(THREAD, {"id": p1["id"]}))["post"]
    assert thread["replyCount"] == 1
    assert [e["node"]["body"] for e in thread["replies"]["edges"]] == ["@cat look #Django"]
    sub = _ok(gql(THREAD, {"id": reply["id"]}))["post"]
    assert [e["node"]["replyTo"]["body"] for e in sub["replies"]["edges"]] == ["@cat look #Django"]

    # Profiles: counts, flags, followers and following.
    ann_profile = _ok(gql(USER, {"u": "ann"}, as_user=bob))["user"]
    assert ann_profile["followerCount"] == 2 and ann_profile["followingCount"] == 1
    assert ann_profile["postCount"] == 1
    assert ann_profile["viewerFollows"] is True and ann_profile["followsViewer"] is True
    assert [e["node"]["username"] for e in ann_profile["followers"]["edges"]] == ["cat", "bob"]
    assert [e["node"]["username"] for e in ann_profile["following"]["edges"]] == ["bob"]
    cat_profile = _ok(gql(USER, {"u": "cat"}))["user"]
    assert cat_profile["postCount"] == 2
    assert cat_profile["viewerFollows"] is False and cat_profile["followsViewer"] is False
    assert _bodies(cat_profile["posts"]) == ["nested", "cat here"]

    # bob deletes his reply: cat's nested reply stays with replyTo null; counters follow.
    deleted = _ok(
        gql(
            "mutation($id: ID!) { deletePost(id: $id) { deletedId errors { code } } }",
            {"id": reply["id"]},
            as_user=bob,
        )
    )["deletePost"]
    assert deleted == {"deletedId": reply["id"], "errors": []}
    assert _ok(gql(THREAD, {"id": p1["id"]}))["post"]["replyCount"] == 0
    orphan = _ok(gql("query($id: ID!) { post(id: $id) { replyTo { id } } }", {"id": nested["id"]}))
    assert orphan["post"] == {"replyTo": None}
    assert _ok(gql(USER, {"u": "bob"}))["user"]["postCount"] == 0
    # An orphaned reply is still a reply: not a top-level post of the public feed.
    assert _bodies(_ok(gql(PUBLIC))["publicFeed"]) == ["cat here", p1["body"]]
    gone = _ok(gql("query($id: ID!) { post(id: $id) { id } }", {"id": reply["id"]}))
    assert gone["post"] is None

    # ann edits her post: edited_at set, tags and mentions re-read.
    edited = _ok(
        gql(
            "mutation($i: EditPostInput!) { editPost(input: $i) { post { body editedAt hashtags "
            "mentions { username } } errors { code } } }",
            {"i": {"id": p1["id"], "body": "Now @cat #new"}},
            as_user=ann,
        )
    )["editPost"]["post"]
    assert edited["body"] == "Now @cat #new" and edited["editedAt"] is not None
    assert edited["hashtags"] == ["new"] and edited["mentions"] == [{"username": "cat"}]
    assert _bodies(_ok(gql(HASHTAG, {"tag": "django"}))["hashtagFeed"]) == []

    # ann unfollows bob: bob's posts leave her home feed, counts drop, twice is harmless.
    for _ in range(2):
        unfollowed = _ok(gql(UNFOLLOW, {"id": bob_id}, as_user=ann))["unfollowUser"]
        assert unfollowed["user"] == {"username": "bob", "followerCount": 0, "viewerFollows": False}
    assert cat_id  # cat's id was fetched like the others
    node = _ok(
        gql("query($id: ID!) { node(id: $id) { ... on Post { body } } }", {"id": cat_post["id"]})
    )
    assert node["node"] == {"body": "cat here"}
