"""An answer of /graphql, a 4xx included, is typed application/graphql-response+json for a
client that accepts it, as Apollo Client 4 does on every request: only under that type does
it read a 4xx body as a GraphQL response (errors with their codes), not as an opaque
ServerError. Under that type a request error is a 400 without `data` (GraphQL over HTTP)."""

import json
from typing import Any

import pytest
from django.test import Client

from graph.accept import response_content_type
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# What Apollo Client 4's HttpLink sends with every query and mutation.
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


def _post(client: Client, body: Any, accept: str, **headers: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(
        "/graphql", data, content_type="application/json", headers={"accept": accept, **headers}
    )


def _code(response: Any) -> str:
    (error,) = json.loads(response.content)["errors"]
    return str(error["extensions"]["code"])


def test_a_batch_refused_with_400_is_a_graphql_response_for_apollo(client: Client) -> None:
    response = _post(client, [{"query": "{ me { id } }"}] * 2, APOLLO_ACCEPT)
    assert response.status_code == 400
    assert response["Content-Type"] == GRAPHQL_RESPONSE_JSON
    assert _code(response) == "BAD_USER_INPUT"
    # A shared cache must not hand this type to a client that asked for plain JSON.
    assert "Accept" in response["Vary"]


def test_a_body_over_the_limit_is_a_graphql_response_for_apollo(
    client: Client, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = {"query": "mutation { logout { ok } }", "variables": {"pad": "x" * 2_000}}
    response = _post(client, body, APOLLO_ACCEPT)
    assert response.status_code == 413
    assert response["Content-Type"] == GRAPHQL_RESPONSE_JSON
    assert _code(response) == "BAD_USER_INPUT"


def test_a_mutation_sent_with_get_is_a_graphql_response_for_apollo(client: Client) -> None:
    response = client.get(
        "/graphql", {"query": "mutation { logout { ok } }"}, headers={"accept": APOLLO_ACCEPT}
    )
    assert response.status_code == 405
    assert response["Content-Type"] == GRAPHQL_RESPONSE_JSON


def test_a_cookie_post_without_the_csrf_token_is_a_graphql_response_for_apollo() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user())
    response = _post(client, {"query": "mutation { logout { ok } }"}, APOLLO_ACCEPT)
    assert response.status_code == 403
    assert response["Content-Type"] == GRAPHQL_RESPONSE_JSON
    assert _code(response) == "FORBIDDEN"


@pytest.mark.parametrize(
    "accept",
    ["", "application/json", "*/*", "application/json, application/graphql-response+json;q=0"],
)
def test_a_client_that_does_not_take_the_graphql_type_gets_json(
    client: Client, accept: str
) -> None:
    response = _post(client, [{"query": "{ me { id } }"}], accept)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_a_sign_in_error_stays_200_under_either_type(client: Client) -> None:
    # The contract keeps UNAUTHENTICATED at HTTP 200, whatever the client accepts.
    for accept, media_type in [(APOLLO_ACCEPT, GRAPHQL_RESPONSE_JSON), ("", "application/json")]:
        response = _post(client, {"query": "{ homeFeed { edges { cursor } } }"}, accept)
        assert response.status_code == 200
        assert response["Content-Type"] == media_type
        assert _code(response) == "UNAUTHENTICATED"
        assert json.loads(response.content)["data"] is None


def test_a_result_is_typed_for_a_client_that_takes_the_graphql_type(client: Client) -> None:
    response = _post(client, {"query": "{ __typename }"}, APOLLO_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"] == GRAPHQL_RESPONSE_JSON
    assert "Accept" in response["Vary"]
    assert json.loads(response.content) == {"data": {"__typename": "Query"}}
    plain = _post(client, {"query": "{ __typename }"}, "application/json")
    assert plain["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{"},  # does not parse
        {"query": "{ nope }"},  # does not validate
        {"query": "query($n: Int!) { publicFeed(first: $n) { edges { cursor } } }"},  # no $n
        {"query": "query A { me { id } } query B { me { id } }"},  # which one?
    ],
)
def test_a_request_error_is_400_without_data_under_the_graphql_type(
    client: Client, body: dict[str, Any]
) -> None:
    # GraphQL over HTTP: under application/graphql-response+json a request that cannot run
    # is a 4xx without `data`; under application/json it stays 200 with `data: null`.
    response = _post(client, body, APOLLO_ACCEPT)
    assert response.status_code == 400
    assert response["Content-Type"] == GRAPHQL_RESPONSE_JSON
    answer = json.loads(response.content)
    assert "data" not in answer and _code(response) == "BAD_USER_INPUT"
    legacy = _post(client, body, "application/json")
    assert legacy.status_code == 200
    assert json.loads(legacy.content)["data"] is None


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (APOLLO_ACCEPT, GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json; q=0.5", GRAPHQL_RESPONSE_JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.0", "application/json"),
        ("application/graphql-response+json;q=x", "application/json"),
        ("application/json", "application/json"),
        ("", "application/json"),
    ],
)
def test_response_content_type_follows_the_accept_header(accept: str, expected: str) -> None:
    assert response_content_type(accept) == expected
