"""graph/extensions.py: what is refused before execution.

A document of several operations runs only the one `operationName` names; without a
name it is BAD_USER_INPUT (the GraphQL spec's rule), never its first operation."""

import json
from typing import Any

import pytest
from django.test import Client

from graph.extensions import MULTIPLE_OPERATIONS_MESSAGE
from social.models import Post
from tests.conftest import GqlCall
from tests.factories import make_user
from tests.security.conftest import only_error

pytestmark = pytest.mark.django_db


def _post(client: Client, body: dict[str, Any], **headers: str) -> Any:
    return client.post("/graphql", json.dumps(body), content_type="application/json", **headers)  # type: ignore[arg-type]


TWO = (
    "query Read { __typename } "
    'mutation Write { createPost(input: {body: "x"}) { errors { code } } }'
)


def test_several_operations_without_a_name_run_nothing(client: Client) -> None:
    alice = make_user("alice")
    from social.services.tokens import access_token_issue

    token = access_token_issue(user=alice)
    response = _post(client, {"query": TWO}, HTTP_AUTHORIZATION=f"Bearer {token}")
    error = only_error(response.json())
    assert error == {
        "message": MULTIPLE_OPERATIONS_MESSAGE,
        "extensions": {"code": "BAD_USER_INPUT"},
    }
    assert not Post.objects.exists()


def test_the_named_operation_runs(client: Client) -> None:
    response = _post(client, {"query": TWO, "operationName": "Read"})
    assert response.json() == {"data": {"__typename": "Query"}}


def test_one_operation_needs_no_name_and_fragments_do_not_count(gql: GqlCall) -> None:
    query = "query { ...F } fragment F on Query { __typename }"
    assert gql(query) == {"data": {"__typename": "Query"}}
