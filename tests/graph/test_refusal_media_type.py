"""A 4xx answer of /graphql is typed application/graphql-response+json for a client that
accepts it, as Apollo Client 4 does on every request: only under that type does it read a
4xx body as a GraphQL response (errors with their codes), not as an opaque ServerError."""

import json
from typing import Any

import pytest
from django.test import Client

from graph.accept import refusal_content_type
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


def test_answers_that_are_not_refusals_keep_their_type(client: Client) -> None:
    response = _post(client, {"query": "{ homeFeed { edges { cursor } } }"}, APOLLO_ACCEPT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert _code(response) == "UNAUTHENTICATED"


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
def test_refusal_content_type_follows_the_accept_header(accept: str, expected: str) -> None:
    assert refusal_content_type(accept) == expected
