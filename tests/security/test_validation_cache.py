"""The validation cache hits for a repeated query, and still honours changed limits."""

from typing import Any

import pytest
from strawberry.extensions.validation_cache import _get_validate_cache

from tests.security.conftest import RawPost

pytestmark = pytest.mark.django_db

QUERY = "query CacheProbe($first: Int) { publicFeed(first: $first) { edges { node { id } } } }"


def test_a_repeated_query_is_validated_once(raw_post: RawPost) -> None:
    cached = _get_validate_cache(256)
    cached.cache_clear()
    for _ in range(3):
        payload = raw_post({"query": QUERY, "variables": {"first": 5}}).json()
        assert "errors" not in payload, payload
    info = cached.cache_info()
    assert (info.misses, info.hits) == (1, 2), info


def test_a_different_first_is_validated_again(raw_post: RawPost) -> None:
    # The node limit depends on `first`, so a new value must not reuse the cached verdict.
    cached = _get_validate_cache(256)
    cached.cache_clear()
    for first in (5, 6, 5):
        assert "errors" not in raw_post({"query": QUERY, "variables": {"first": first}}).json()
    assert (cached.cache_info().misses, cached.cache_info().hits) == (2, 1)


def test_a_lowered_limit_applies_to_a_cached_query(raw_post: RawPost, settings: Any) -> None:
    body = {"query": QUERY, "variables": {"first": 5}}
    assert "errors" not in raw_post(body).json()
    settings.GRAPHQL_MAX_DEPTH = 1
    payload = raw_post(body).json()
    assert payload["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", payload
