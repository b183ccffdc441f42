import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from graph.security.errors import fix_is_one_of
from social import cache_outage
from social.models import User
from social.services.tokens import access_token_issue
from tests.factories import make_user
from tests.smtp import smtp_inbox  # noqa: F401 (a fixture: a real SMTP server)


@pytest.fixture(autouse=True)
def _allow_test_host(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]


GqlCall = Callable[..., dict[str, Any]]


@pytest.fixture
def gql(client: Client) -> GqlCall:
    """POSTs a GraphQL operation; `as_user` signs in with a fresh access token."""

    def call(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_user: User | None = None,
        token: str | None = None,
        status: int = 200,
        **headers: str,
    ) -> dict[str, Any]:
        if as_user is not None:
            token = access_token_issue(user=as_user)
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        response = client.post(
            "/graphql",
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,  # type: ignore[arg-type]
        )
        assert response.status_code == status, response.content
        return response.json()

    return call


@pytest.fixture
def user_factory(db: None) -> Callable[..., User]:
    return make_user


@pytest.fixture(autouse=True)
def _api_introspection() -> None:
    """A test that builds a strawberry.Schema of its own (to probe the library) replaces the
    shared `__Type.isOneOf` field the API's schema fixed: fixed again before each test."""
    fix_is_one_of()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counters live in the cache: each test starts with none spent."""
    # A test that takes the cache down (Redis fault) must not fail in this fixture, nor
    # leave it presumed down for the next test.
    cache_outage.reset()
    with contextlib.suppress(Exception):
        cache.clear()
    yield
    with contextlib.suppress(Exception):
        cache.clear()
    cache_outage.reset()
