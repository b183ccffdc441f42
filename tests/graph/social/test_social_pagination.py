"""Keyset pages: stable while rows arrive, exact hasNextPage, every list alike."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from graph.ids import global_id
from social.models import Post
from tests.conftest import GqlCall
from tests.factories import make_follow, make_post, make_user

pytestmark = pytest.mark.django_db

LISTS = {
    "publicFeed": "publicFeed(first: $first, after: $after)",
    "homeFeed": "homeFeed(first: $first, after: $after)",
    "hashtagFeed": 'hashtagFeed(tag: "#Page", first: $first, after: $after)',
}


def _query(field: str) -> str:
    return (
        "query($first: Int, $after: String) { "
        + field
        + " { edges { cursor node { body } } pageInfo { hasNextPage hasPreviousPage "
        "startCursor endCursor } } }"
    )


def _walk(gql: GqlCall, name: str, viewer: Any, first: int, between: Any = None) -> list[str]:
    """Every body of the list, page by page, calling `between()` after each page."""
    seen: list[str] = []
    after = None
    while True:
        result = gql(_query(LISTS[name]), {"first": first, "after": after}, as_user=viewer)
        assert "errors" not in result, result
        page = result["data"][name]
        seen += [edge["node"]["body"] for edge in page["edges"]]
        info = page["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        if page["edges"]:
            assert info["startCursor"] == page["edges"][0]["cursor"]
            assert info["endCursor"] == page["edges"][-1]["cursor"]
        if not info["hasNextPage"]:
            return seen
        after = info["endCursor"]
        if between is not None:
            between()


@pytest.mark.parametrize("name", sorted(LISTS))
def test_inserting_between_pages_causes_no_duplicate_and_no_gap(gql: GqlCall, name: str) -> None:
    viewer, friend = make_user(), make_user()
    make_follow(viewer, friend)
    for i in range(10):
        make_post(friend if i % 2 else viewer, f"old {i} #page")
    inserted = iter(range(100))

    def insert() -> None:
        make_post(friend, f"new {next(inserted)} #page")

    seen = _walk(gql, name, viewer, first=3, between=insert)
    assert seen == [f"old {i} #page" for i in reversed(range(10))]


def test_posts_created_at_the_same_instant_page_by_id(gql: GqlCall) -> None:
    ann = make_user()
    for i in range(7):
        make_post(ann, f"tie {i}")
    Post.objects.update(created_at=timezone.now() - timedelta(days=1))
    assert _walk(gql, "publicFeed", None, first=2) == [f"tie {i}" for i in reversed(range(7))]


def test_has_next_page_is_exact_on_the_last_full_page(gql: GqlCall) -> None:
    ann = make_user()
    for i in range(4):
        make_post(ann, f"p{i}")
    first = gql(_query(LISTS["publicFeed"]), {"first": 2})["data"]["publicFeed"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = gql(
        _query(LISTS["publicFeed"]), {"first": 2, "after": first["pageInfo"]["endCursor"]}
    )["data"]["publicFeed"]
    assert [e["node"]["body"] for e in second["edges"]] == ["p1", "p0"]
    assert second["pageInfo"]["hasNextPage"] is False


def test_replies_page_oldest_first(gql: GqlCall) -> None:
    ann = make_user()
    root = make_post(ann, "root")
    for i in range(5):
        make_post(ann, f"r{i}", reply_to=root)
    query = """query($id: ID!, $after: String) { post(id: $id) { replies(first: 2, after: $after) {
      edges { node { body } } pageInfo { hasNextPage endCursor } } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = gql(query, {"id": global_id("Post", root.pk), "after": after})["data"]["post"][
            "replies"
        ]
        seen += [e["node"]["body"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"r{i}" for i in range(5)]


@pytest.mark.parametrize("side", ["followers", "following"])
def test_follow_lists_page_newest_first(gql: GqlCall, side: str) -> None:
    star = make_user("star")
    others = [make_user(f"other{i}") for i in range(5)]
    for other in others:
        if side == "followers":
            make_follow(other, star)
        else:
            make_follow(star, other)
    query = (
        'query($after: String) { user(username: "star") { '
        + side
        + "(first: 2, after: $after) { edges { node { username } } pageInfo { hasNextPage "
        "endCursor } } } }"
    )
    seen: list[str] = []
    after = None
    while True:
        page = gql(query, {"after": after})["data"]["user"][side]
        seen += [e["node"]["username"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"other{i}" for i in reversed(range(5))]


SEARCH = """query($q: String!, $first: Int, $after: String) {
  searchUsers(query: $q, first: $first, after: $after) {
    edges { node { username } } pageInfo { hasNextPage endCursor } } }"""


def test_search_ranks_exact_then_prefix_then_the_rest(gql: GqlCall) -> None:
    make_user("zed_ann")
    make_user("annabel")
    make_user("ANN")
    make_user("bob", display_name="Annie B")
    make_user("carl", display_name="Mary-Ann")
    make_user("dave")
    seen: list[str] = []
    after = None
    while True:
        page = gql(SEARCH, {"q": "aNN", "first": 2, "after": after})["data"]["searchUsers"]
        seen += [e["node"]["username"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["ANN", "annabel", "bob", "carl", "zed_ann"]


@pytest.mark.parametrize("query", ["", "   ", "%", "_"])
def test_blank_or_wildcard_searches_match_nothing(gql: GqlCall, query: str) -> None:
    make_user("someone")
    result = gql(SEARCH, {"q": query})
    assert result["data"]["searchUsers"] == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize(
    ("field", "kind"),
    [
        ("blockedUsers", "blocked"),
        ("mutedUsers", "muted"),
        ("followRequests", "requests"),
        ("publicFeed", "public"),
        ("homeFeed", "home"),
        ('user(username: "pager") { followers', "followers"),
        ('user(username: "pager") { posts', "posts"),
    ],
)
@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-12-07T23:11:07"]
)
def test_a_cursor_date_out_of_the_databases_range_is_a_bad_cursor(
    gql: GqlCall, settings: Any, compiled: bool, field: str, kind: str, moment: str
) -> None:
    """Python takes an offset up to 23:59 and any year 1-9999; PostgreSQL refuses an offset
    over 15:59 and the UTC instant may fall outside those years: never an internal error,
    whichever executor runs the list."""
    from graph.pagination import encode_cursor

    settings.GRAPHQL_COMPILED = compiled
    viewer = make_user("pager")
    make_post(viewer, "a post")
    after = encode_cursor(kind, [moment, 5])
    connection = "(after: $after) { edges { cursor } }"
    query = "query($after: String) { " + field + connection + ("} }" if "{" in field else " }")
    result = gql(query, {"after": after}, as_user=viewer)
    codes = {error["extensions"]["code"] for error in result.get("errors", [])}
    assert codes <= {"BAD_USER_INPUT"}, result
