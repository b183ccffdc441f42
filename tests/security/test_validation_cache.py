"""The validation cache hits for a repeated query, keyed by its text (not by hashing its
parsed document), and still honours changed limits."""

from collections.abc import Iterator
from typing import Any

import pytest
from graphql.language import ast

from graph.security import limits
from tests.security.conftest import RawPost

pytestmark = pytest.mark.django_db

QUERY = "query CacheProbe($first: Int) { publicFeed(first: $first) { edges { node { id } } } }"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Each validation the cache did not answer, from an empty cache."""
    limits._verdicts.clear()
    seen: list[object] = []
    validate = limits.validate_document

    def counted(*args: Any) -> Any:
        seen.append(args[1])
        return validate(*args)

    monkeypatch.setattr(limits, "validate_document", counted)
    yield seen
    limits._verdicts.clear()


def test_a_repeated_query_is_validated_once(raw_post: RawPost, validations: list[object]) -> None:
    for _ in range(3):
        payload = raw_post({"query": QUERY, "variables": {"first": 5}}).json()
        assert "errors" not in payload, payload
    assert len(validations) == 1


def test_a_cached_verdict_does_not_hash_the_document(
    raw_post: RawPost, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Strawberry's ValidationCache keyed its LRU by the parsed document, whose hash walks the
    # whole AST on every request; keyed by the text, a hit hashes no node.
    body = {"query": QUERY, "variables": {"first": 5}}
    assert "errors" not in raw_post(body).json()
    hashed: list[str] = []
    node_hash = ast.Node.__hash__

    def counting_hash(node: ast.Node) -> int:
        hashed.append(type(node).__name__)
        return node_hash(node)

    monkeypatch.setattr(ast.Node, "__hash__", counting_hash)
    for subclass in (ast.DocumentNode, ast.OperationDefinitionNode, ast.FieldNode):
        monkeypatch.setattr(subclass, "__hash__", counting_hash)
    assert "errors" not in raw_post(body).json()
    assert "DocumentNode" not in hashed, hashed


def test_a_different_first_is_validated_again(raw_post: RawPost, validations: list[object]) -> None:
    # The node limit depends on `first`, so a new value must not reuse the cached verdict.
    for first in (5, 6, 5):
        assert "errors" not in raw_post({"query": QUERY, "variables": {"first": first}}).json()
    assert len(validations) == 2


def test_a_failing_document_fails_alike_from_the_cache(
    raw_post: RawPost, validations: list[object]
) -> None:
    body = {"query": "{ publicFeed(first: 1) { edges { node { nope } } } }"}
    first, second = raw_post(body).json(), raw_post(body).json()
    assert first == second
    assert first["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", first
    assert len(validations) == 1


def test_a_lowered_limit_applies_to_a_cached_query(raw_post: RawPost, settings: Any) -> None:
    body = {"query": QUERY, "variables": {"first": 5}}
    assert "errors" not in raw_post(body).json()
    settings.GRAPHQL_MAX_DEPTH = 1
    payload = raw_post(body).json()
    assert payload["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", payload
