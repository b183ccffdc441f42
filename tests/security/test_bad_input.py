"""Malformed requests get a clear GraphQL error as JSON, never a 500 or a stack trace."""

import json
from typing import Any

import pytest
from django.test import Client

from tests.security.conftest import RawPost, only_error

pytestmark = pytest.mark.django_db


def _refused(response: Any, status: int, fragment: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = only_error(response.json())
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert fragment in error["message"]
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "content_type", "fragment"),
    [
        ("{not json", "application/json", "Unable to parse request body as JSON"),
        (b"\xff\xfe{}", "application/json", "Unable to parse request body as JSON"),
        ("[" * 100_000, "application/json", "Unable to parse request body as JSON"),
        ('"just a string"', "application/json", "must be a JSON object"),
        ("{}", "application/json", "No GraphQL query found"),
        ('{"variables": {}}', "application/json", "No GraphQL query found"),
        ('{"query": 5}', "application/json", "`query` must be a string"),
        ('{"query": "{ me { id } }", "variables": [1]}', "application/json", "`variables` must"),
        ('{"query": "{ me { id } }", "operationName": 1}', "application/json", "`operationName`"),
        ("query { me { id } }", "text/plain", "Unsupported content type"),
    ],
)
def test_malformed_bodies_get_400(
    raw_post: RawPost, body: str | bytes, content_type: str, fragment: str
) -> None:
    _refused(raw_post(body, content_type=content_type), 400, fragment)


def test_unknown_operation_name_gets_400(raw_post: RawPost) -> None:
    body = {"query": "query A { me { id } } query B { me { id } }", "operationName": "C"}
    _refused(raw_post(body), 400, 'Unknown operation named "C"')


def test_mutation_over_get_gets_405_and_runs_nothing(
    client: Client, django_assert_num_queries: Any
) -> None:
    query = 'mutation { login(input: {login: "a", password: "b"}) { errors { code } } }'
    with django_assert_num_queries(0):
        response = client.get("/graphql", {"query": query})
    _refused(response, 405, "mutations are not allowed when using GET")
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_a_subscription_asking_for_json_gets_400_that_says_how_to_stream(
    client: Client, method: str
) -> None:
    """Not an INTERNAL_SERVER_ERROR ("Cannot return null for non-nullable field"): JSON
    cannot carry a stream, so the answer names the transports that can."""
    query = "subscription { unreadNotificationCountChanged }"
    if method == "GET":
        response = client.get("/graphql", {"query": query}, HTTP_ACCEPT="application/json")
    else:
        response = client.post("/graphql", {"query": query}, content_type="application/json")
    _refused(response, 400, "text/event-stream")


@pytest.mark.parametrize("path", ["/graphql", "/graphql/"])
def test_a_host_not_served_gets_400_in_the_graphql_error_shape(client: Client, path: str) -> None:
    """Django's host check refuses it before the view: still JSON, not an HTML page."""
    response = client.post(
        path, {"query": "{ me { id } }"}, content_type="application/json", HTTP_HOST="evil.example"
    )
    _refused(response, 400, "Host")


def test_query_over_get_works(client: Client) -> None:
    response = client.get("/graphql", {"query": "{ me { id } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"me": None}}


def test_oversized_variables_get_413(raw_post: RawPost) -> None:
    body = {
        "query": "query($b: String) { user(username: $b) { id } }",
        "variables": {"b": "x" * (2 * 1024 * 1024)},
    }
    _refused(raw_post(body), 413, "larger than the limit of 1,048,576 bytes")


@pytest.mark.parametrize(
    "variables",
    [{"input": {"login": 5, "password": "x"}}, {"input": "x"}, {}, {"input": {"login": "a"}}],
)
def test_wrong_variable_types_are_bad_user_input(raw_post: RawPost, variables: Any) -> None:
    query = "mutation($input: LoginInput!) { login(input: $input) { errors { code } } }"
    response = raw_post({"query": query, "variables": variables})
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] is None
    assert {e["extensions"]["code"] for e in payload["errors"]} == {"BAD_USER_INPUT"}
    assert all(e["message"].startswith("Variable '$input'") for e in payload["errors"])


def test_syntax_errors_are_bad_user_input(raw_post: RawPost) -> None:
    error = only_error(raw_post({"query": "{ me { id "}).json())
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("Syntax Error")


def test_put_gets_405_json(client: Client) -> None:
    response = client.put("/graphql", json.dumps({"query": "{ me { id } }"}))
    assert response.status_code == 405
    assert only_error(response.json())["extensions"]["code"] == "BAD_USER_INPUT"
