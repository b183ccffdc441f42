"""A feed loads what its query selects: viewer flags, joins and prefetches only when asked."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.utils.str_converters import to_camel_case

from social.models import User
from social.reads.posts import post_view
from social.reads.views import FULL_SHAPE, PostView, UserView
from tests.conftest import GqlCall
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _normal_executor(settings: Any) -> None:
    # These pin the normal executor (its SQL, its resolvers); the compiled path, which
    # answers these queries on PostgreSQL, has its own tests in tests/graph/compiled.
    settings.GRAPHQL_COMPILED = False


@pytest.fixture
def network() -> dict[str, Any]:
    """viewer follows ann (who follows back) and bob; the viewer liked ann's reply to bob."""
    viewer = make_user("viewer")
    ann = make_user("ann")
    bob = make_user("bob")
    make_follow(viewer, ann)
    make_follow(ann, viewer)
    make_follow(viewer, bob)
    root = make_post(bob, "root #Top @ann")
    reply = make_post(ann, "reply #Re @viewer @bob", reply_to=root)
    make_like(viewer, reply)
    return {"viewer": viewer, "ann": ann, "bob": bob, "root": root, "reply": reply}


def _feed(gql: GqlCall, viewer: User, node: str, fragments: str = "") -> tuple[Any, list[str]]:
    query = "{ homeFeed(first: 10) { edges { node { " + node + " } } } }" + fragments
    with CaptureQueriesContext(connection) as captured:
        result = gql(query, as_user=viewer)
    assert "errors" not in result, result
    nodes = [edge["node"] for edge in result["data"]["homeFeed"]["edges"]]
    # The feed's mute rule (social/visibility.py) is a NOT EXISTS of every feed: not a flag.
    return nodes, [
        q["sql"].upper().replace("NOT EXISTS(SELECT 1 FROM SOCIAL_MUTE MF", "MUTE_RULE(")
        for q in captured.captured_queries
    ]


def test_a_feed_without_flags_or_relations_reads_the_posts_alone(
    gql: GqlCall, network: dict[str, Any]
) -> None:
    nodes, queries = _feed(gql, network["viewer"], "id body")
    assert [n["body"] for n in nodes] == ["reply #Re @viewer @bob", "root #Top @ann"]
    assert len(queries) == 1
    # No viewer flag, no parent joined (the author is: a PostView always holds its author).
    assert "EXISTS" not in queries[0]
    assert "LEFT JOIN" not in queries[0]


def test_only_the_selected_flags_are_queried_and_they_are_right(
    gql: GqlCall, network: dict[str, Any]
) -> None:
    nodes, queries = _feed(gql, network["viewer"], "body viewerHasLiked")
    assert queries[0].count("EXISTS") == 1
    assert [n["viewerHasLiked"] for n in nodes] == [True, False]

    nodes, queries = _feed(gql, network["viewer"], "author { username followsViewer }")
    assert queries[0].count("EXISTS") == 1
    assert [n["author"] for n in nodes] == [
        {"username": "ann", "followsViewer": True},
        {"username": "bob", "followsViewer": False},
    ]


def test_aliases_and_fragments_select_flags_too(gql: GqlCall, network: dict[str, Any]) -> None:
    node = """liked: viewerHasLiked ...Parent
      writer: author { ... on User { follows: viewerFollows } }"""
    fragments = """ fragment Parent on Post {
      replyTo { viewerHasLiked author { username followsViewer } mentions { viewerFollows } }
    }"""
    nodes, queries = _feed(gql, network["viewer"], node, fragments)
    # liked, the author's viewerFollows, the parent's liked and its author's followsViewer;
    # the parent's mentions (with their viewerFollows) cost a query of their own.
    assert queries[0].count("EXISTS") == 4
    assert len(queries) == 2
    reply, root = nodes
    assert reply == {
        "liked": True,
        "writer": {"follows": True},
        "replyTo": {
            "viewerHasLiked": False,
            "author": {"username": "bob", "followsViewer": False},
            "mentions": [{"viewerFollows": True}],
        },
    }
    assert root == {"liked": False, "writer": {"follows": True}, "replyTo": None}


def test_mention_flags_follow_the_selection(gql: GqlCall, network: dict[str, Any]) -> None:
    nodes, queries = _feed(gql, network["viewer"], "mentions { username followsViewer }")
    assert len(queries) == 2
    assert queries[1].count("EXISTS") == 1
    assert nodes[0]["mentions"] == [
        {"username": "viewer", "followsViewer": False},
        {"username": "bob", "followsViewer": False},
    ]
    assert nodes[1]["mentions"] == [{"username": "ann", "followsViewer": True}]


def test_a_grandparent_is_joined_when_selected(gql: GqlCall, network: dict[str, Any]) -> None:
    deeper = make_post(network["bob"], "deeper", reply_to=network["reply"])
    nodes, queries = _feed(gql, network["viewer"], "replyTo { replyTo { body viewerHasLiked } }")
    assert len(queries) == 1
    assert nodes[0] == {"replyTo": {"replyTo": {"body": "root #Top @ann", "viewerHasLiked": False}}}
    assert deeper.pk


def test_the_full_shape_sets_every_flag(network: dict[str, Any]) -> None:
    viewer, reply = network["viewer"], network["reply"]
    post = post_view(post_id=reply.pk, viewer_id=viewer.pk, shape=FULL_SHAPE)
    assert post is not None and post.reply_to is not None
    assert post.viewer_has_liked is True
    assert post.author.viewer_follows is True
    assert post.author.follows_viewer is True
    assert post.reply_to.viewer_has_liked is False
    assert post.reply_to.author.viewer_follows is True
    assert post.reply_to.author.follows_viewer is False
    assert post.hashtags == ("re",)
    assert [(u.username, u.viewer_follows) for u in post.mentions] == [
        ("viewer", False),
        ("bob", True),
    ]
    # The viewer's own email only.
    assert [u.email for u in post.mentions] == ["viewer@example.com", None]


def test_the_page_tags_are_one_query_in_order(gql: GqlCall, network: dict[str, Any]) -> None:
    make_post(network["ann"], "#zeta then #Alpha and #zeta again")
    make_post(network["ann"], "no tags")
    nodes, queries = _feed(gql, network["viewer"], "hashtags replyTo { hashtags }")
    # The rows, then the tags of the page and of the parents in one query (in the rows, on
    # PostgreSQL).
    assert len(queries) == (1 if connection.vendor == "postgresql" else 2)
    assert [n["hashtags"] for n in nodes] == [[], ["zeta", "alpha"], ["re"], ["top"]]
    assert nodes[2]["replyTo"] == {"hashtags": ["top"]}


def test_every_field_of_post_and_user_is_read_from_the_view_or_is_a_connection() -> None:
    # A resolver reads attributes of the one form: a new field needs a place in the view.
    import dataclasses

    from graph.types.posts import PostType
    from graph.types.users import UserType

    def names(graphql_type: Any) -> set[str]:
        return {
            field.graphql_name or to_camel_case(field.python_name)
            for field in graphql_type.__strawberry_definition__.fields
        }

    def attributes(view: type) -> set[str]:
        return {to_camel_case(field.name) for field in dataclasses.fields(view)}

    connections = {"followers", "following", "posts", "replies"}
    assert names(UserType) - {"id"} <= attributes(UserView) | connections
    assert names(PostType) - {"id"} <= attributes(PostView) | connections
