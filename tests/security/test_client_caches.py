"""Every per-process cache whose keys clients choose stays within its size setting.

Each test lowers the setting and sends more distinct requests than it allows, through
/graphql, as a client would."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from strawberry.extensions.parser_cache import _get_parse_cache

from graph import auth
from graph.security import limits, rules
from graph.types import selection
from observability import graphql as graphql_metrics
from observability.metrics import GRAPHQL_REQUEST_SECONDS
from social.reads import posts as post_reads
from social.services.tokens import access_token_issue
from tests.factories import make_post, make_user
from tests.security.conftest import RawPost

pytestmark = pytest.mark.django_db

SIZE = 8
REQUESTS = 30


@pytest.fixture(autouse=True)
def _small_caches(settings: Any) -> Iterator[None]:
    settings.GRAPHQL_DOCUMENT_CACHE_SIZE = SIZE
    settings.PREPARED_SQL_CACHE_SIZE = SIZE
    settings.ACCESS_TOKEN_CACHE_SIZE = SIZE
    settings.METRICS_MAX_OPERATION_NAMES = SIZE
    yield


def _ok(raw_post: RawPost, body: dict[str, Any], **headers: str) -> None:
    payload = raw_post(body, **headers).json()
    assert "errors" not in payload, payload


def test_parsed_documents_and_validation_verdicts(raw_post: RawPost) -> None:
    for i in range(REQUESTS):
        _ok(raw_post, {"query": f"{{ me {{ id }} n{i}: __typename }}"})
    assert _get_parse_cache(SIZE).cache_info().currsize == SIZE
    assert len(limits._verdicts) == SIZE


def test_node_rule_classes(raw_post: RawPost) -> None:
    query = "query ($n: Int) { publicFeed(first: $n) { pageInfo { hasNextPage } } }"
    for n in range(REQUESTS):
        _ok(raw_post, {"query": query, "variables": {"n": n}})
    assert len(rules._node_rules) == SIZE


def test_selection_paths_and_prepared_reads(raw_post: RawPost, settings: Any) -> None:
    # The read model's caches; the compiled path (PostgreSQL) has its own, tested apart.
    settings.GRAPHQL_COMPILED = False
    author = make_user("author")
    for i in range(3):
        make_post(author, f"post {i} #tag")
    columns = ["body", "createdAt", "likeCount", "replyCount", "hashtags", "editedAt"]
    for i in range(REQUESTS):
        # A distinct document, page size and set of columns each time.
        fields = " ".join(c for bit, c in enumerate(columns) if i >> bit & 1) or "id"
        query = f"{{ publicFeed(first: {i + 1}) {{ edges {{ node {{ id {fields} }} }} }} }}"
        _ok(raw_post, {"query": query})
    assert len(selection._paths_by_nodes) == SIZE
    assert len(selection.post_shape.cache) == SIZE  # type: ignore[attr-defined]
    assert len(post_reads._list_statement.cache) == SIZE  # type: ignore[attr-defined]


def test_verified_access_tokens(raw_post: RawPost) -> None:
    users = [make_user(f"reader{i}") for i in range(REQUESTS)]
    for user in users:
        token = access_token_issue(user=user)
        _ok(raw_post, {"query": "{ me { id } }"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert len(auth._verified) == SIZE


def test_operation_name_labels(raw_post: RawPost, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(graphql_metrics, "_seen_names", set())
    # The metric outlives this test: names of its own, so no other test's labels count.
    prefix = f"Probe{uuid.uuid4().hex[:8]}"
    for i in range(REQUESTS):
        _ok(raw_post, {"query": f"query {prefix}x{i} {{ me {{ id }} }}"})
    assert len(graphql_metrics._seen_names) == SIZE
    labelled = {
        sample.labels["operation_name"]
        for metric in GRAPHQL_REQUEST_SECONDS.collect()
        for sample in metric.samples
        if sample.labels.get("operation_name", "").startswith(prefix)
    }
    assert len(labelled) == SIZE
