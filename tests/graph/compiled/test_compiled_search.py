"""searchUsers is compiled: one statement, the same ranked pages and cursors as the normal
executor's, for any query (LIKE's own characters included) and every viewer."""

from collections.abc import Callable
from typing import Any

import pytest

from social.models import User
from tests.factories import make_user
from tests.graph.compiled.conftest import Run

Both = Callable[..., dict[str, Any]]

SEARCH = """query Search($q: String!, $first: Int, $after: String) {
  searchUsers(query: $q, first: $first, after: $after) {
    edges { cursor node { username displayName viewerFollows } }
    pageInfo { hasNextPage endCursor startCursor }
  }
}"""
QUERIES = ["al", "AL", "alice", "Ali", "o'b", "100%", "a_b", "a\\b", "%", "_", "ice", "zzz", " al "]


@pytest.fixture
def people() -> list[User]:
    names = [
        ("alice", "Alice Liddell"),
        ("Alicia", "Malice"),
        ("bob", "Bob al-Amin"),
        ("al", "Just Al"),
        ("carol", "O'Brien"),
        ("dave", "100% Dave"),
        ("a_b", "Under Score"),
        ("axb", "Not a_b"),
        ("erin", "Back\\slash a\\b"),
        ("frank", "Frank"),
    ]
    return [make_user(username, display_name=display) for username, display in names]


@pytest.mark.parametrize("query", QUERIES)
def test_every_query_ranks_alike_compiled_or_not(
    both: Both, people: list[User], query: str
) -> None:
    for viewer in (None, people[0]):
        both(SEARCH, {"q": query, "first": 20}, viewer=viewer)


def test_pages_and_cursors_follow_alike(both: Both, people: list[User]) -> None:
    after = None
    seen: list[str] = []
    while True:
        page = both(SEARCH, {"q": "a", "first": 2, "after": after})["data"]["searchUsers"]
        seen += [edge["node"]["username"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(user.username for user in people)  # each "a" once


def test_a_search_page_is_one_statement(
    run: Run, people: list[User], django_assert_num_queries: Any
) -> None:
    run(SEARCH, {"q": "al", "first": 2})
    with django_assert_num_queries(1):
        answer = run(SEARCH, {"q": "al", "first": 2})
    page = answer["data"]["searchUsers"]
    assert page["edges"][0]["node"]["username"] == "al"
    after = {"q": "al", "first": 2, "after": page["pageInfo"]["endCursor"]}
    run(SEARCH, after)
    with django_assert_num_queries(1):  # the cursor too: no fallback
        assert run(SEARCH, after)["data"]["searchUsers"]["edges"]


@pytest.mark.parametrize("query", ["", "   ", "a\x00b"])
def test_a_blank_or_nul_query_answers_as_the_executor_does(
    both: Both, people: list[User], query: str
) -> None:
    assert both(SEARCH, {"q": query})["data"]["searchUsers"]["edges"] == []
