"""Hostile queries are refused before execution: depth, tokens, aliases, nodes, batches."""

import io
import json
import time
from typing import Any

import pytest

from graph.schema import schema
from tests.security.conftest import RawPost, only_error

pytestmark = pytest.mark.django_db


def _nested_me(depth: int) -> str:
    # me { followers { edges { node { followers ... } } } } reaches any depth, valid or not.
    inner = "id"
    for _ in range(depth):
        inner = f"followers {{ edges {{ node {{ {inner} }} }} }}"
    return f"{{ me {{ {inner} }} }}"


def _nested_users(levels: int, first: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"followers(first: {first}) {{ edges {{ node {{ {inner} }} }} }}"
    return f"{{ me {{ {inner} }} }}"


def _rejected(raw_post: RawPost, body: dict[str, Any]) -> str:
    """The QUERY_TOO_COMPLEX messages of a refused operation (which ran no resolver)."""
    response = raw_post(body)
    assert response.status_code == 200, response.content
    payload = response.json()
    assert payload["data"] is None, payload
    limits = [e for e in payload["errors"] if e["extensions"]["code"] == "QUERY_TOO_COMPLEX"]
    assert limits, payload
    return " | ".join(e["message"] for e in limits)


def _needs_connections() -> None:
    if "followers" not in schema.as_str().split("type User", 1)[1].split("}", 1)[0]:
        pytest.skip("User.followers is not in the schema yet (social graph issue)")


def test_depth_50_query_is_refused_without_sql(
    raw_post: RawPost, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        message = _rejected(raw_post, {"query": _nested_me(50)})
    assert "exceeds maximum operation depth of 12" in message


def test_depth_limit_follows_the_setting(raw_post: RawPost, settings: Any) -> None:
    settings.GRAPHQL_MAX_DEPTH = 1
    assert "maximum operation depth of 1" in _rejected(raw_post, {"query": _nested_me(1)})


def test_a_thousand_aliases_are_refused(raw_post: RawPost, django_assert_num_queries: Any) -> None:
    query = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(1000)) + " }"
    with django_assert_num_queries(0):
        _rejected(raw_post, {"query": query})


def test_aliases_over_the_limit_are_refused_by_the_alias_rule(raw_post: RawPost) -> None:
    query = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(31)) + " }"
    assert "31 aliases; at most 30" in _rejected(raw_post, {"query": query})


def test_too_many_tokens_are_refused_while_parsing(raw_post: RawPost, settings: Any) -> None:
    settings.GRAPHQL_MAX_TOKENS = 100
    query = "{ me { " + " ".join(["id"] * 200) + " } }"
    assert "more than 100 tokens" in _rejected(raw_post, {"query": query})


def test_first_100_nested_four_deep_is_refused(
    raw_post: RawPost, django_assert_num_queries: Any
) -> None:
    _needs_connections()
    with django_assert_num_queries(0):
        message = _rejected(raw_post, {"query": _nested_users(4, 100)})
    assert "more than 50,000 nodes" in message


def test_a_batch_of_a_thousand_operations_is_refused(
    raw_post: RawPost, django_assert_num_queries: Any
) -> None:
    batch = [{"query": "{ me { id } }"} for _ in range(1000)]
    with django_assert_num_queries(0):
        response = raw_post(batch)
    assert response.status_code == 400
    error = only_error(response.json())
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Batching is not enabled" in error["message"]


def test_a_10_mb_body_gets_413_json(raw_post: RawPost, django_assert_num_queries: Any) -> None:
    body = '{"query": "{ me { id } }", "variables": {"x": "' + "a" * (10 * 1024 * 1024) + '"}}'
    with django_assert_num_queries(0):
        response = raw_post(body)
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    error = only_error(response.json())
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "larger than the limit" in error["message"]


def test_a_contract_sized_query_passes_every_limit(gql: Any) -> None:
    query = (
        "{ me { id followers(first: 20) { edges { node { id"
        " followers(first: 20) { edges { node { id } } } } } } } }"
    )
    result = gql(query)
    assert "errors" not in result or all(
        e["extensions"]["code"] != "QUERY_TOO_COMPLEX" for e in result["errors"]
    )


def test_a_fragment_bomb_is_answered_at_once(raw_post: RawPost) -> None:
    # Each fragment spreads the next twice: 2^40 selections if a rule expands spreads.
    fragments = " ".join(f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    query = "{ me { ...F0 } } " + fragments + " fragment F40 on User { id }"
    started = time.monotonic()
    response = raw_post({"query": query})
    assert time.monotonic() - started < 5
    assert response.status_code == 200
    assert response.json() == {"data": {"me": None}}


def test_a_body_without_content_length_is_cut_at_the_limit() -> None:
    # Under ASGI a chunked body announces no length: the view reads no more than the limit.
    from django.core.handlers.asgi import ASGIRequest
    from django.http import HttpResponse

    from graph.views import GraphQLView

    body = b'{"query": "{ me { id } }", "variables": {"x": "' + b"a" * (3 * 1024 * 1024) + b'"}}'
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
    }
    request = ASGIRequest(scope, io.BytesIO(body))
    assert "CONTENT_LENGTH" not in request.META
    response = GraphQLView.as_view(schema=schema)(request)
    assert isinstance(response, HttpResponse)
    assert response.status_code == 413
    assert only_error(json.loads(response.content))["extensions"]["code"] == "BAD_USER_INPUT"
