"""Every per-process cache whose keys clients choose stays within its size setting.

Each test lowers the setting and sends more distinct requests than it allows, through
/graphql, as a client would."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from config import asgi_http
from config.asgi_http import OneHopHTTPHandler
from graph import auth
from graph.compiled import plan_cache
from graph.security import rules
from graph.security.documents import documents
from graph.types import selection
from observability import graphql as graphql_metrics
from observability.metrics import GRAPHQL_REQUEST_SECONDS
from social.reads import posts as post_reads
from social.services.tokens import access_token_issue
from tests.factories import make_post, make_user
from tests.security.conftest import RawPost
from tests.test_asgi_http import call

pytestmark = pytest.mark.django_db

SIZE = 8
REQUESTS = 30


@pytest.fixture(autouse=True)
def _small_caches(settings: Any) -> Iterator[None]:
    settings.GRAPHQL_DOCUMENT_CACHE_SIZE = SIZE
    settings.PREPARED_SQL_CACHE_SIZE = SIZE
    settings.ACCESS_TOKEN_CACHE_SIZE = SIZE
    settings.METRICS_MAX_OPERATION_NAMES = SIZE
    settings.HTTP_VIEW_CACHE_SIZE = SIZE
    settings.GRAPHQL_COMPILED_CACHE_SIZE = SIZE
    yield


def _ok(raw_post: RawPost, body: dict[str, Any], **headers: str) -> None:
    payload = raw_post(body, **headers).json()
    assert "errors" not in payload, payload


def test_parsed_documents_and_validation_verdicts(raw_post: RawPost) -> None:
    documents.clear()
    for i in range(REQUESTS):
        _ok(raw_post, {"query": f"{{ me {{ id }} n{i}: __typename }}"})
    assert len(documents) == SIZE
    # Each kept with its verdict (the validation cache lives in the same entries).
    entries = list(documents._entries.values())
    assert all(len(entry.verdicts) == 1 for entry in entries)


def test_parsed_documents_within_their_byte_budget(raw_post: RawPost, settings: Any) -> None:
    # Large documents (many tokens, or text padded with a comment) fill the byte budget
    # long before the entry count: the budget holds, whatever the count allows.
    settings.GRAPHQL_DOCUMENT_CACHE_SIZE = 1000
    settings.GRAPHQL_DOCUMENT_CACHE_BYTES = budget = 3_000_000
    documents.clear()
    for i in range(REQUESTS):
        fields = " ".join("__typename" for _ in range(200))  # no alias: one field
        _ok(raw_post, {"query": f"{{ n{i}: __typename {fields} }}"})
        _ok(raw_post, {"query": f"{{ m{i}: __typename }} #{'x' * 200_000}"})
    assert 0 < documents.weight <= budget
    assert 0 < len(documents) < 2 * REQUESTS
    # A document heavier than the whole budget is answered, never kept.
    settings.GRAPHQL_DOCUMENT_CACHE_BYTES = 1_000
    documents.clear()
    _ok(raw_post, {"query": "{ me { id } }" + " " * 2_000})
    assert len(documents) == 0 and documents.weight == 0


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


def test_compiled_statements(raw_post: RawPost, settings: Any) -> None:
    # The compiled path's plans (graph/compiled/plan_cache.py), one per document and shape.
    settings.GRAPHQL_COMPILED = connection.vendor == "postgresql"
    plan_cache.clear()
    make_post(make_user("author"), "a post")
    for i in range(REQUESTS):
        query = f"{{ publicFeed(first: {i + 1}) {{ edges {{ node {{ id }} }} }} }}"
        _ok(raw_post, {"query": query})
    # SQLite never compiles (the normal executor answers), so it keeps nothing.
    assert plan_cache.size() == (SIZE if connection.vendor == "postgresql" else 0)
    plan_cache.clear()


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


@pytest.mark.django_db(transaction=True)
async def test_views_known_by_request_path() -> None:
    # The ASGI handler remembers per path whether its view is async; a client picks paths.
    cache = asgi_http._view_is_async.cache  # type: ignore[attr-defined]
    cache.clear()
    app = OneHopHTTPHandler(threads=1)
    try:
        for i in range(REQUESTS):
            # A path that resolves (the admin's catch-all) and one that does not.
            for path in (f"/admin/probe{i}/", f"/probe{i}"):
                start, _, _ = await call(app, path)
                assert start["status"] in (302, 404), (path, start)
        assert len(cache) == SIZE
    finally:
        app.executor.shutdown(wait=True)
        cache.clear()


def test_accept_header_verdicts(raw_post: RawPost) -> None:
    # Whether /graphql can answer, and whether a stream is asked for, by Accept header.
    from graph import accept

    caches = [accept.acceptable.cache, accept.prefers_stream.cache]  # type: ignore[attr-defined]
    for cache in caches:
        cache.clear()
    for i in range(REQUESTS):
        header = f"application/json, application/x-probe-{i}"
        _ok(raw_post, {"query": "{ __typename }"}, HTTP_ACCEPT=header)
        accept.stream_transport(header)
    assert [len(cache) for cache in caches] == [SIZE, SIZE]
