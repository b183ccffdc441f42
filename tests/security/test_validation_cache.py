"""The validation cache hits for a repeated query, and still honours changed limits."""

from typing import Any

import pytest

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
