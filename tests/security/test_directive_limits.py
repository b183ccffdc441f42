"""Directives are counted before any rule looks at them; repeated ones are refused."""

from typing import Any

import pytest
from graphql.validation import rules as graphql_rules

from graph.security.directives import crowded_place
from tests.security.conftest import RawPost, only_error

pytestmark = pytest.mark.django_db


def _repeated(directive: str, times: int) -> str:
    return "{ me { id " + " ".join([directive] * times) + " } }"


@pytest.mark.parametrize(
    "directive", ["@include(if: true)", "@skip(if: false)", "@unknown", "@unknown(x: 1)"]
)
def test_thousands_of_directives_get_one_clear_error(raw_post: RawPost, directive: str) -> None:
    response = raw_post({"query": _repeated(directive, 600)})
    assert response.status_code == 200
    error = only_error(response.json())
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["message"] == (
        "A field carries 600 directives; at most 5 are allowed in one place."
    )
    assert error["locations"] == [{"line": 1, "column": 8}]


def test_the_cap_follows_the_setting(raw_post: RawPost, settings: Any) -> None:
    settings.GRAPHQL_MAX_DIRECTIVES_PER_LOCATION = 1
    query = "{ me { id @include(if: true) @skip(if: false) } }"
    error = only_error(raw_post({"query": query}).json())
    assert "carries 2 directives; at most 1" in error["message"]


def test_every_place_is_counted() -> None:
    from graphql import parse

    many = " ".join(["@a"] * 6)
    for text in (
        f"query Q {many} {{ me {{ id }} }}",
        f"query Q($v: Int {many}) {{ me {{ id }} }}",
        f"{{ me {{ ...F {many} }} }} fragment F on User {{ id }}",
        f"{{ me {{ ... on User {many} {{ id }} }} }}",
        f"{{ me {{ ...F }} }} fragment F on User {many} {{ id }}",
        f"{{ me {{ ...F }} }} fragment F on User {{ followers {{ edges {{ cursor {many} }} }} }}",
    ):
        assert crowded_place(parse(text), 5) is not None, text
        assert crowded_place(parse(text.replace(many, "@a @a")), 5) is None


def test_a_repeated_non_repeatable_directive_is_refused_as_the_spec_says(
    raw_post: RawPost,
) -> None:
    payload = raw_post({"query": "{ me { id @include(if: true) @include(if: true) } }"}).json()
    error = only_error(payload)
    assert error["message"] == "The directive '@include' can only be used once at this location."
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_directives_under_the_cap_work(raw_post: RawPost) -> None:
    query = "{ a: publicFeed(first: 1) @include(if: false) { pageInfo { hasNextPage } } b: me @skip(if: true) { id } }"  # noqa: E501
    assert raw_post({"query": query}).json() == {"data": {}}


def test_the_work_does_not_grow_past_the_cap(
    raw_post: RawPost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts the directives graphql-core's rules visit: none, once the cap is passed."""
    visited: list[str] = []
    for rule in (
        graphql_rules.known_directives.KnownDirectivesRule,
        graphql_rules.known_argument_names.KnownArgumentNamesOnDirectivesRule,
    ):
        original = rule.enter_directive

        def counting(self: Any, node: Any, *args: Any, _original: Any = original) -> Any:
            visited.append(node.name.value)
            return _original(self, node, *args)

        monkeypatch.setattr(rule, "enter_directive", counting)
    unique = graphql_rules.unique_directives_per_location.UniqueDirectivesPerLocationRule
    original_enter = unique.enter

    def counting_enter(self: Any, node: Any, *args: Any) -> Any:
        visited.extend(d.name.value for d in getattr(node, "directives", None) or ())
        return original_enter(self, node, *args)

    monkeypatch.setattr(unique, "enter", counting_enter)

    raw_post({"query": _repeated("@include(if: true)", 3)})
    under_the_cap = len(visited)
    assert under_the_cap > 0  # the counting works
    for times in (6, 100, 2400):
        visited.clear()
        raw_post({"query": _repeated("@unknown", times)})
        assert visited == [], times


async def test_a_subscription_is_counted_alike() -> None:
    from graph.context import Context
    from graph.schema import schema

    many = " ".join(["@unknown"] * 50)
    stream = await schema.subscribe(
        f"subscription {{ homeFeedPostAdded {{ id {many} }} }}", context_value=Context()
    )
    results = [result async for result in stream]  # type: ignore[union-attr]
    assert len(results) == 1
    errors = results[0].errors
    assert [(e.message, e.extensions) for e in errors] == [
        (
            "A field carries 50 directives; at most 5 are allowed in one place.",
            {"code": "QUERY_TOO_COMPLEX"},
        )
    ]
