"""A post reads the same through every field that returns it, for the same viewer."""

from typing import Any

import pytest

from graph.ids import global_id
from tests.conftest import GqlCall
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db

POST = """id body createdAt editedAt likeCount replyCount viewerHasLiked hashtags
  author { id username email displayName followerCount viewerFollows followsViewer }
  mentions { username email viewerFollows followsViewer }
  replyTo { id body viewerHasLiked hashtags author { username email viewerFollows } }"""

PATHS: dict[str, tuple[str, tuple[str, ...]]] = {
    "publicFeed": ("{ publicFeed { edges { node { %s } } } }", ("publicFeed",)),
    "homeFeed": ("{ homeFeed { edges { node { %s } } } }", ("homeFeed",)),
    "hashtagFeed": ('{ hashtagFeed(tag: "tea") { edges { node { %s } } } }', ("hashtagFeed",)),
    "user.posts": (
        '{ user(username: "ann") { posts { edges { node { %s } } } } }',
        ("user", "posts"),
    ),
    "replies": (
        "query($parent: ID!) { post(id: $parent) { replies { edges { node { %s } } } } }",
        ("post", "replies"),
    ),
    "notifications": ("{ notifications { edges { node { post { %s } } } } }", ("notifications",)),
}


def _nodes(data: Any, path: tuple[str, ...]) -> list[Any]:
    for name in path:
        data = data[name]
    nodes = [edge["node"] for edge in data["edges"]]
    return [node.get("post", node) if "post" in node else node for node in nodes]


def test_every_field_returns_the_same_post(gql: GqlCall) -> None:
    ann, bob, carol = make_user("ann"), make_user("bob"), make_user("carol")
    make_follow(carol, ann)
    make_follow(ann, carol)
    parent = make_post(bob, "a question #Q")
    make_like(carol, parent)
    post = make_post(ann, "an answer for @carol #Tea", reply_to=parent)
    variables = {"parent": global_id("Post", parent.pk), "id": global_id("Post", post.pk)}

    one = "query($id: ID!) { post(id: $id) { " + POST + " } }"
    by_id = {}
    for pk in (parent.pk, post.pk):
        read = gql(one, {"id": global_id("Post", pk)}, as_user=carol)["data"]["post"]
        by_id[read["id"]] = read
    expected = by_id[variables["id"]]
    node = gql(
        "query($id: ID!) { node(id: $id) { ... on Post { " + POST + " } } }",
        variables,
        as_user=carol,
    )
    assert node["data"]["node"] == expected
    for name, (query, path) in PATHS.items():
        result = gql(query % POST, variables if "$parent" in query else None, as_user=carol)
        assert "errors" not in result, (name, result)
        found = [n for n in _nodes(result["data"], path) if n and n["id"] in by_id]
        assert found, name
        assert all(n == by_id[n["id"]] for n in found), name
    assert expected["viewerHasLiked"] is False and expected["replyTo"]["viewerHasLiked"] is True
    assert expected["mentions"] == [
        {
            "username": "carol",
            "email": "carol@example.com",
            "viewerFollows": False,
            "followsViewer": False,
        }
    ]
    assert expected["author"]["email"] is None and expected["author"]["viewerFollows"] is True
