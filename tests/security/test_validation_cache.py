"""The validation cache hits for a repeated query, and still honours changed limits."""

from typing import Any

import pytest
from graphql.language import ast

from graph.security import limits
from graph.security.documents import documents
from tests.security.conftest import RawPost

pytestmark = pytest.mark.django_db

QUERY = "query CacheProbe($first: Int) { publicFeed(first: $first) { edges { node { id } } } }"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the documents actually validated (cache misses)."""
    runs: list[int] = []
    validate = limits.validate_document

    def counted(*args: Any) -> Any:
        runs.append(1)
        return validate(*args)

    monkeypatch.setattr(limits, "validate_document", counted)
    documents.clear()
    return runs


def test_a_repeated_query_is_validated_once(raw_post: RawPost, validations: list[int]) -> None:
    for _ in range(3):
        payload = raw_post({"query": QUERY, "variables": {"first": 5}}).json()
        assert "errors" not in payload, payload
    assert len(validations) == 1


def test_a_different_first_is_validated_again(raw_post: RawPost, validations: list[int]) -> None:
    # The node limit depends on `first`, so a new value must not reuse the cached verdict.
    for first in (5, 6, 5):
        assert "errors" not in raw_post({"query": QUERY, "variables": {"first": first}}).json()
    assert len(validations) == 2


def test_a_lowered_limit_applies_to_a_cached_query(raw_post: RawPost, settings: Any) -> None:
    body = {"query": QUERY, "variables": {"first": 5}}
    assert "errors" not in raw_post(body).json()
    settings.GRAPHQL_MAX_DEPTH = 1
    payload = raw_post(body).json()
    assert payload["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", payload


def test_a_cached_verdict_does_not_hash_the_document(
    raw_post: RawPost, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Strawberry's ValidationCache keyed its LRU by the parsed document, whose hash walks the
    # whole AST on every request (~6 % of a compiled page's CPU); keyed by the text and the
    # rule classes, a hit hashes no node.
    body = {"query": QUERY, "variables": {"first": 5}}
    assert "errors" not in raw_post(body).json()
    hashed: list[str] = []
    node_hash = ast.Node.__hash__

    def counting_hash(node: ast.Node) -> int:
        hashed.append(type(node).__name__)
        return node_hash(node)

    for node_class in (ast.Node, ast.DocumentNode, ast.OperationDefinitionNode, ast.FieldNode):
        monkeypatch.setattr(node_class, "__hash__", counting_hash)
    assert "errors" not in raw_post(body).json()
    assert "DocumentNode" not in hashed, hashed
