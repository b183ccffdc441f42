"""The node-count rule on a schema of its own, so it is pinned whatever the API holds."""

from typing import Any

import pytest
import strawberry

from graph.context import Context
from graph.security.errors import ApiSchema
from graph.security.limits import security_extensions


@strawberry.type
class Item:
    id: int

    @strawberry.field
    def items(self, first: int | None = None) -> list["Item"]:
        return []


@strawberry.type
class Query:
    @strawberry.field
    def items(self, first: int | None = None) -> list[Item]:
        return [Item(id=1)]


test_schema = ApiSchema(query=Query, extensions=security_extensions())


def _nodes_error(query: str, variables: dict[str, Any] | None = None) -> str | None:
    result = test_schema.execute_sync(query, variable_values=variables, context_value=Context())
    for error in result.errors or ():
        if error.extensions and error.extensions.get("code") == "QUERY_TOO_COMPLEX":
            assert result.data is None
            return error.message
    return None


def _nested(levels: int, first: str) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"items(first: {first}) {{ {inner} }}"
    return f"query Q($n: Int = 20) {{ {inner} }}"


@pytest.mark.parametrize(
    ("levels", "first", "refused"),
    [
        (4, "100", True),  # 100 + 100^2 + 100^3 + 100^4
        (2, "100", False),  # 10,100
        (3, "36", False),  # 36 + 1,296 + 46,656 = 47,988
        (3, "37", True),  # 37 + 1,369 + 50,653
    ],
)
def test_nodes_are_the_sum_of_products_of_first(levels: int, first: str, refused: bool) -> None:
    assert (_nodes_error(_nested(levels, first)) is not None) is refused


def test_absent_first_counts_as_20() -> None:
    # 20 + 400 + 8,000 + 160,000
    assert _nodes_error("{ items { items { items { items { id } } } } }") is not None
    assert _nodes_error("{ items { items { items { id } } } }") is None


def test_first_is_read_from_variables_and_their_defaults() -> None:
    query = _nested(4, "$n")
    assert _nodes_error(query, {"n": 10}) is None  # 11,110
    assert _nodes_error(query, {"n": 100}) is not None
    assert _nodes_error(query) is not None  # the default 20: 168,420


def test_the_limit_follows_the_setting(settings: Any) -> None:
    settings.GRAPHQL_MAX_NODES = 100
    message = _nodes_error(_nested(2, "10"))
    assert message is not None and "more than 100 nodes" in message


def test_fragments_and_inline_fragments_count_where_they_are_spread() -> None:
    query = (
        "{ items(first: 100) { ...Deep } } "
        "fragment Deep on Item { ... on Item { items(first: 100) { items(first: 100) { id } } } }"
    )
    assert _nodes_error(query) is not None


def test_a_fragment_bomb_is_counted_in_linear_time() -> None:
    # Each fragment spreads the next twice: 2^40 field instances if expanded naively.
    fragments = " ".join(f"fragment F{i} on Item {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    query = "{ items(first: 1) { ...F0 } } " + fragments + " fragment F40 on Item { id }"
    # Only 1 node, and the answer comes at once.
    assert _nodes_error(query) is None
    bomb = query.replace("fragment F40 on Item { id }", "fragment F40 on Item { items { id } }")
    assert _nodes_error(bomb) is not None
