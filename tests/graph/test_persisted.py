"""Persisted documents: Apollo's APQ protocol, the bounded store, GET caching, trusted documents.

Apollo Client's own persisted-queries link is driven against a live server in
tests/graph/apq/test_apollo_link.py; these tests cover every bad input in-process.
"""

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import path

from graph import persisted
from graph.persisted import DocumentStore
from graph.schema import schema
from graph.views import GraphQLView
from social.models import User

pytestmark = pytest.mark.django_db

ME = "query Me { me { id } }"
FEED = "query Feed { publicFeed(first: 2) { edges { node { id body } } } }"
BAD_LOGIN = (
    'mutation Login { login(input: {login: "nobody", password: "wrong-password-1"}) '
    "{ errors { code } } }"
)


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(sha256: Any, version: Any = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


@pytest.fixture(autouse=True)
def _empty_store() -> Iterator[None]:
    persisted._stores.clear()
    yield
    persisted._stores.clear()


def post(client: Client, body: dict[str, Any], **headers: str) -> Any:
    return client.post(
        "/graphql",
        json.dumps(body),
        content_type="application/json",
        **headers,  # type: ignore[arg-type]
    )


def get(client: Client, params: dict[str, Any], **headers: str) -> Any:
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return client.get("/graphql", encoded, **headers)  # type: ignore[arg-type]


def only_error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body
    return dict(body["errors"][0])


# --- Automatic persisted queries -------------------------------------------------------


def test_an_unknown_hash_answers_persisted_query_not_found_as_apollo_expects(
    client: Client, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = post(client, {"extensions": apq(sha(FEED))})
    assert response.status_code == 200
    assert only_error(response) == {
        "message": "PersistedQueryNotFound",
        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
    }
    assert "no-store" in response["Cache-Control"]


def test_the_query_with_its_hash_registers_it_then_the_hash_alone_runs_it(
    client: Client, user_factory: Any
) -> None:
    user_factory(username="ada")
    first = post(client, {"query": FEED, "extensions": apq(sha(FEED))})
    assert first.status_code == 200
    assert "errors" not in first.json()
    again = post(client, {"extensions": apq(sha(FEED))})
    assert again.json() == first.json()


def test_a_hash_that_does_not_match_its_query_is_refused_and_not_registered(
    client: Client,
) -> None:
    wrong = sha(ME)
    response = post(client, {"query": BAD_LOGIN, "extensions": apq(wrong)})
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "does not match" in error["message"]
    for unknown in (wrong, sha(BAD_LOGIN)):
        assert only_error(post(client, {"extensions": apq(unknown)}))["message"] == (
            "PersistedQueryNotFound"
        )


def test_a_mismatched_hash_runs_nothing(client: Client) -> None:
    register = (
        'mutation { register(input: {username: "mallory", email: "m@example.com", '
        'password: "a-long-password-9"}) { errors { code } } }'
    )
    response = post(client, {"query": register, "extensions": apq(sha(ME))})
    assert response.status_code == 400
    assert not User.objects.filter(username="mallory").exists()


@pytest.mark.parametrize(
    ("extensions", "fragment"),
    [
        ({"persistedQuery": "abc"}, "must be an object"),
        ({"persistedQuery": [1]}, "must be an object"),
        ({"persistedQuery": {"sha256Hash": "0" * 64}}, "version"),
        (apq("0" * 64, version=2), "version"),
        (apq("0" * 64, version="1"), "version"),
        (apq("0" * 63), "64 lowercase hex"),
        (apq("A" * 64), "64 lowercase hex"),
        (apq("g" * 64), "64 lowercase hex"),
        (apq(12345), "64 lowercase hex"),
        (apq(None), "64 lowercase hex"),
    ],
)
def test_malformed_persisted_query_extensions_get_400(
    client: Client, extensions: dict[str, Any], fragment: str
) -> None:
    for response in (
        post(client, {"extensions": extensions}),
        post(client, {"query": ME, "extensions": extensions}),
        get(client, {"extensions": extensions}),
    ):
        assert response.status_code == 400, response.content
        error = only_error(response)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert fragment in error["message"]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"extensions": "{not json"}, "Unable to parse"),
        ({"extensions": "[1]"}, "`extensions` must be an object"),
        ({"documentId": 5}, "`documentId` must be a string"),
    ],
)
def test_malformed_extensions_and_ids_get_400(
    client: Client, params: dict[str, Any], fragment: str
) -> None:
    by_post = "documentId" in params
    response = post(client, params) if by_post else client.get("/graphql", params)
    assert response.status_code == 400, response.content
    assert fragment in only_error(response)["message"]


def test_no_persisted_query_extension_is_an_ordinary_request(client: Client) -> None:
    response = post(client, {"query": ME, "extensions": {"persistedQuery": None, "other": 1}})
    assert response.json() == {"data": {"me": None}}


def test_with_apq_off_a_hash_answers_not_supported(client: Client, settings: Any) -> None:
    settings.GRAPHQL_APQ = False
    post(client, {"query": ME, "extensions": apq(sha(ME))})
    assert only_error(post(client, {"extensions": apq(sha(ME))})) == {
        "message": "PersistedQueryNotSupported",
        "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
    }


def test_the_store_is_bounded_by_the_size_setting(client: Client, settings: Any) -> None:
    settings.GRAPHQL_APQ_CACHE_SIZE = 2
    documents = [f"query Q{i} {{ me {{ id }} }}" for i in range(3)]
    for document in documents:
        post(client, {"query": document, "extensions": apq(sha(document))})
    assert len(persisted.apq_store()) == 2
    oldest = post(client, {"extensions": apq(sha(documents[0]))})
    assert only_error(oldest)["message"] == "PersistedQueryNotFound"
    assert post(client, {"extensions": apq(sha(documents[2]))}).json() == {"data": {"me": None}}


def test_the_store_evicts_the_least_recently_used_and_bounds_characters() -> None:
    store = DocumentStore(max_entries=2, max_chars=10)
    store.put("a", "aaaa")
    store.put("b", "bbbb")
    assert store.get("a") == "aaaa"  # b is now the least recently used
    store.put("c", "cccc")
    assert (store.get("a"), store.get("b"), store.get("c")) == ("aaaa", None, "cccc")
    store.put("d", "ddddddddd")  # 9 characters: only it fits
    assert (len(store), store.chars, store.get("d")) == (1, 9, "ddddddddd")
    store.put("e", "e" * 11)  # larger than the whole store: not kept
    assert store.get("e") is None
    assert store.chars == 9


def test_invalid_documents_fail_exactly_as_without_persistence(client: Client) -> None:
    for document in (
        "{ nope }",
        "{ me { id } ",
        "query Deep { me { followers { edges { node { followers { edges { node { followers "
        "{ edges { node { followers { edges { node { id } } } } } } } } } } } } }",
    ):
        plain = post(client, {"query": document})
        persisted_ = post(client, {"query": document, "extensions": apq(sha(document))})
        assert (persisted_.status_code, persisted_.json()) == (plain.status_code, plain.json())
        assert "errors" in plain.json()
        again = post(client, {"extensions": apq(sha(document))})
        assert (again.status_code, again.json()) == (plain.status_code, plain.json())


# --- GET: queries only, cacheable when anonymous ---------------------------------------


def test_an_anonymous_persisted_query_over_get_may_be_cached_by_a_cdn(
    client: Client, settings: Any
) -> None:
    settings.GRAPHQL_GET_CACHE_SECONDS = 30
    post(client, {"query": FEED, "extensions": apq(sha(FEED))})
    response = get(client, {"extensions": apq(sha(FEED))}, HTTP_ACCEPT="*/*")
    assert response.status_code == 200
    assert "edges" in response.json()["data"]["publicFeed"]
    assert set(response["Cache-Control"].split(", ")) == {"public", "max-age=30"}
    assert {"Authorization", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_a_signed_in_query_over_get_is_never_stored(client: Client, user_factory: Any) -> None:
    from social.services.tokens import access_token_issue

    token = access_token_issue(user=user_factory(username="bea"))
    response = get(client, {"query": ME}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["data"]["me"]["id"]
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-store"}


def test_a_session_cookie_makes_a_get_private(client: Client, user_factory: Any) -> None:
    client.force_login(user_factory(username="cy"))
    response = get(client, {"query": ME})
    assert response.json()["data"]["me"]["id"]
    assert "no-store" in response["Cache-Control"]


def test_a_failed_get_is_never_stored(client: Client) -> None:
    response = get(client, {"query": "{ nope }"})
    assert "errors" in response.json()
    assert "no-store" in response["Cache-Control"]
    unknown = get(client, {"extensions": apq(sha(FEED))})
    assert only_error(unknown)["message"] == "PersistedQueryNotFound"
    assert "no-store" in unknown["Cache-Control"]


def test_post_answers_get_no_cache_headers(client: Client) -> None:
    assert not post(client, {"query": ME}).has_header("Cache-Control")


def test_a_persisted_mutation_over_get_gets_405_and_runs_nothing(
    client: Client, django_assert_num_queries: Any
) -> None:
    registered = post(client, {"query": BAD_LOGIN, "extensions": apq(sha(BAD_LOGIN))})
    assert registered.json()["data"]["login"]["errors"]
    with django_assert_num_queries(0):
        response = get(client, {"extensions": apq(sha(BAD_LOGIN))})
    assert response.status_code == 405
    assert "mutations are not allowed when using GET" in only_error(response)["message"]
    assert response["Allow"] == "POST"


def test_a_persisted_query_over_get_from_a_browser_runs_instead_of_graphiql(
    client: Client,
) -> None:
    post(client, {"query": ME, "extensions": apq(sha(ME))})
    response = get(client, {"extensions": apq(sha(ME))}, HTTP_ACCEPT="text/html")
    assert response.json() == {"data": {"me": None}}
    assert b"<html" in client.get("/graphql", HTTP_ACCEPT="text/html").content.lower()


# --- Trusted documents -----------------------------------------------------------------


@pytest.fixture
def manifest(tmp_path: Path, settings: Any) -> dict[str, str]:
    documents = {"me-v1": ME, sha(FEED): FEED, "login": BAD_LOGIN}
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps(documents))
    settings.GRAPHQL_TRUSTED_DOCUMENTS = str(path)
    return documents


@pytest.mark.parametrize("member", ["documentId", "id"])
def test_a_trusted_document_runs_by_its_id(
    client: Client, manifest: dict[str, str], member: str
) -> None:
    assert post(client, {member: "me-v1"}).json() == {"data": {"me": None}}
    assert get(client, {member: "me-v1"}).json() == {"data": {"me": None}}


def test_a_sha256_id_may_carry_its_algorithm_prefix(
    client: Client, manifest: dict[str, str]
) -> None:
    for document_id in (sha(FEED), f"sha256:{sha(FEED)}", f"sha256:{sha(ME)}"):
        assert "errors" not in post(client, {"documentId": document_id}).json()


def test_a_manifest_document_runs_by_its_apq_hash_without_registering(
    client: Client, manifest: dict[str, str]
) -> None:
    assert post(client, {"extensions": apq(sha(ME))}).json() == {"data": {"me": None}}


def test_an_unknown_document_id_is_refused(client: Client, manifest: dict[str, str]) -> None:
    response = post(client, {"documentId": "me-v2"})
    assert response.status_code == 400
    error = only_error(response)
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "me-v2" in error["message"]


def test_a_document_id_without_a_manifest_is_refused(client: Client) -> None:
    response = post(client, {"documentId": "me-v1"})
    assert response.status_code == 400
    assert only_error(response)["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_a_document_id_with_a_different_query_is_refused(
    client: Client, manifest: dict[str, str]
) -> None:
    response = post(client, {"documentId": "me-v1", "query": FEED})
    assert response.status_code == 400
    assert "does not match" in only_error(response)["message"]
    assert post(client, {"documentId": "me-v1", "query": ME}).json() == {"data": {"me": None}}


def test_without_trusted_only_other_documents_still_run(
    client: Client, manifest: dict[str, str]
) -> None:
    assert post(client, {"query": "{ me { username } }"}).json() == {"data": {"me": None}}


def test_a_mutation_by_document_id_over_get_gets_405(
    client: Client, manifest: dict[str, str], django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = get(client, {"documentId": "login"})
    assert response.status_code == 405


@pytest.fixture
def trusted_only(manifest: dict[str, str], settings: Any) -> dict[str, str]:
    settings.GRAPHQL_TRUSTED_ONLY = True
    return manifest


NOT_TRUSTED = "PERSISTED_QUERY_NOT_TRUSTED"


def _not_trusted(response: Any) -> None:
    assert response.status_code == 400, response.content
    error = only_error(response)
    assert error["extensions"]["code"] == NOT_TRUSTED
    assert "trusted documents only" in error["message"]


def test_trusted_only_refuses_any_other_document_without_running_it(
    client: Client, trusted_only: dict[str, str], django_assert_num_queries: Any
) -> None:
    register = (
        'mutation { register(input: {username: "eve", email: "eve@example.com", '
        'password: "a-long-password-9"}) { errors { code } } }'
    )
    with django_assert_num_queries(0):
        _not_trusted(post(client, {"query": register}))
        _not_trusted(post(client, {"query": register, "extensions": apq(sha(register))}))
        _not_trusted(post(client, {"extensions": apq(sha(register))}))
        _not_trusted(get(client, {"query": "{ me { id } }"}))
        _not_trusted(post(client, {"query": "{ nope }"}))
    assert not User.objects.filter(username="eve").exists()
    assert len(persisted.apq_store()) == 0


def test_trusted_only_runs_manifest_documents_however_they_are_named(
    client: Client, trusted_only: dict[str, str]
) -> None:
    expected = {"data": {"me": None}}
    assert post(client, {"documentId": "me-v1"}).json() == expected
    assert post(client, {"query": ME}).json() == expected
    assert post(client, {"query": ME, "extensions": apq(sha(ME))}).json() == expected
    assert post(client, {"extensions": apq(sha(ME))}).json() == expected


def test_trusted_only_without_a_manifest_does_not_start(settings: Any) -> None:
    settings.GRAPHQL_TRUSTED_ONLY = True
    settings.GRAPHQL_TRUSTED_DOCUMENTS = ""
    with pytest.raises(ImproperlyConfigured, match="GRAPHQL_TRUSTED_DOCUMENTS"):
        persisted.check_configuration()


@pytest.mark.parametrize("content", ["{not json", "[]", '{"a": 1}', None])
def test_an_unreadable_manifest_does_not_start(
    tmp_path: Path, settings: Any, content: str | None
) -> None:
    path = tmp_path / "manifest.json"
    if content is not None:
        path.write_text(content)
    settings.GRAPHQL_TRUSTED_DOCUMENTS = str(path)
    with pytest.raises(ImproperlyConfigured, match="GRAPHQL_TRUSTED_DOCUMENTS"):
        persisted.check_configuration()


# Multipart requests (file uploads) name their document in `operations`.
urlpatterns = [
    path("graphql", GraphQLView.as_view(schema=schema, multipart_uploads_enabled=True)),
]


@override_settings(ROOT_URLCONF=__name__)
def test_trusted_only_holds_for_multipart_requests_too(
    client: Client, trusted_only: dict[str, str]
) -> None:
    def multipart(operations: dict[str, Any]) -> Any:
        return client.post("/graphql", {"operations": json.dumps(operations), "map": "{}"})

    _not_trusted(multipart({"query": "{ me { username } }"}))
    assert multipart({"query": ME}).json() == {"data": {"me": None}}
    by_hash = {"extensions": apq(sha(ME))}
    assert multipart(by_hash).json() == {"data": {"me": None}}
