"""A feed loads what its query selects: viewer flags, joins and prefetches only when asked."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.utils.str_converters import to_camel_case

from social.models import Post, User
from social.selectors.posts import FULL_SHAPE, annotate_posts_for_viewer
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
    return nodes, [q["sql"].upper() for q in captured.captured_queries]


def test_a_feed_without_flags_or_relations_reads_the_posts_alone(
    gql: GqlCall, network: dict[str, Any]
) -> None:
    nodes, queries = _feed(gql, network["viewer"], "id body")
    assert [n["body"] for n in nodes] == ["reply #Re @viewer @bob", "root #Top @ann"]
    assert len(queries) == 1
    # No viewer flag, no parent joined, no author's columns (its join is the is_active filter).
    assert "EXISTS" not in queries[0]
    assert "LEFT OUTER JOIN" not in queries[0]
    assert '"SOCIAL_USER"."USERNAME"' not in queries[0]


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


def test_annotate_posts_for_viewer_still_sets_every_flag_by_default(
    network: dict[str, Any],
) -> None:
    viewer, reply = network["viewer"], network["reply"]
    post = annotate_posts_for_viewer(Post.objects.filter(pk=reply.pk), viewer_id=viewer.pk).get()
    assert post.viewer_has_liked is True  # type: ignore[attr-defined]
    assert post.author.viewer_follows is True  # type: ignore[attr-defined]
    assert post.author.follows_viewer is True  # type: ignore[attr-defined]
    assert post.reply_to is not None
    assert post.reply_to.viewer_has_liked is False  # type: ignore[attr-defined]
    assert post.reply_to.author.viewer_follows is True  # type: ignore[attr-defined]
    assert post.reply_to.author.follows_viewer is False  # type: ignore[attr-defined]
    assert [link.tag for link in post.hashtag_links.all()] == ["re"]
    mentioned = [link.user for link in post.mention_links.all()]
    assert [(u.username, u.viewer_follows) for u in mentioned] == [  # type: ignore[attr-defined]
        ("viewer", False),
        ("bob", True),
    ]
    assert FULL_SHAPE.reply_to is not None and FULL_SHAPE.reply_to.author is not None


def test_the_page_tags_are_one_query_in_order(gql: GqlCall, network: dict[str, Any]) -> None:
    make_post(network["ann"], "#zeta then #Alpha and #zeta again")
    make_post(network["ann"], "no tags")
    nodes, queries = _feed(gql, network["viewer"], "hashtags replyTo { hashtags }")
    # The rows, the page's tags, the parents' tags (prefetched).
    assert len(queries) == 3
    assert [n["hashtags"] for n in nodes] == [[], ["zeta", "alpha"], ["re"], ["top"]]
    assert nodes[2]["replyTo"] == {"hashtags": ["top"]}


def test_every_field_of_a_post_row_is_loaded_when_selected() -> None:
    # A feed's posts and authors are rows holding only the columns their selection names: a
    # new field read from a column must be added to the columns the feed can load.
    from graph.types.posts import _POST_COLUMNS, _USER_COLUMNS, PostType
    from graph.types.users import UserType

    def names(graphql_type: Any) -> set[str]:
        return {
            field.graphql_name or to_camel_case(field.python_name)
            for field in graphql_type.__strawberry_definition__.fields
        }

    from_keys_or_flags = {"id", "followers", "following", "viewerFollows", "followsViewer", "posts"}
    assert names(UserType) == set(_USER_COLUMNS) | from_keys_or_flags
    # replyTo and mentions are read as models (a page selecting them is not prepared).
    elsewhere = {"id", "createdAt", "author", "replyTo", "replies", "viewerHasLiked", "mentions"}
    assert names(PostType) == set(_POST_COLUMNS) | elsewhere | {"hashtags"}
