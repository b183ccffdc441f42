"""A database that refuses or loses connections is a retryable SERVICE_UNAVAILABLE, never
INTERNAL_SERVER_ERROR (the real outage: tests/security/test_postgres_outage.py)."""

from typing import Any

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from graph.accounts import queries
from tests.conftest import GqlCall
from tests.factories import make_user
from tests.services import require_postgres_database

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_error_in_a_resolver_is_service_unavailable(
    gql: GqlCall, monkeypatch: pytest.MonkeyPatch, error: type[Exception], settings: Any
) -> None:
    settings.GRAPHQL_COMPILED = False  # the resolver's path; the compiled one is below

    def down(**kwargs: Any) -> None:
        raise error("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(queries, "user_by_username", down)
    result = gql('{ user(username: "x") { username } }')
    (problem,) = result["errors"]
    assert problem["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert problem["extensions"]["requestId"]
    assert "127.0.0.1" not in problem["message"]


def test_a_database_error_outside_graphql_is_a_503(monkeypatch: pytest.MonkeyPatch) -> None:
    from graph import views

    client = Client()
    client.force_login(make_user("zed"))

    def down(*args: Any) -> None:
        raise OperationalError("the database system is starting up")

    monkeypatch.setattr(views, "context_for_request", down)
    response = client.get("/graphql", {"query": "{ me { username } }"})
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_database_error_in_a_compiled_field_is_service_unavailable(
    gql: GqlCall, monkeypatch: pytest.MonkeyPatch, error: type[Exception], settings: Any
) -> None:
    from graph.compiled import executor

    require_postgres_database()  # the compiled path is PostgreSQL's
    settings.GRAPHQL_COMPILED = True

    def down(*args: Any, **kwargs: Any) -> None:
        raise error("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(executor, "run", down)
    result = gql('{ user(username: "x") { username } }')
    (problem,) = result["errors"]
    assert problem["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "127.0.0.1" not in problem["message"]
