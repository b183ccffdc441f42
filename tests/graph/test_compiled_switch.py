"""When the compiled path may run: PostgreSQL with GRAPHQL_COMPILED on, HTTP only."""

from typing import Any  # noqa: I001

import pytest
from django.db import connection
from strawberry.http import GraphQLRequestData

from graph.compiled.http import enable_compiled_path, encode_response
from graph.compiled.executor import RawJSON
from graph.context import Context

QUERY = GraphQLRequestData(
    query="{ me { id } }", variables=None, operation_name=None, extensions=None
)


@pytest.mark.parametrize("enabled", [True, False])
def test_the_compiled_path_runs_only_on_postgresql_when_enabled(
    settings: Any, enabled: bool
) -> None:
    settings.GRAPHQL_COMPILED = enabled
    context = Context()
    enable_compiled_path(context, QUERY)
    on = enabled and connection.vendor == "postgresql"
    assert (context.compiled_document is not None) == on


def test_a_request_without_a_query_is_left_to_the_view(settings: Any) -> None:
    settings.GRAPHQL_COMPILED = True
    context = Context()
    enable_compiled_path(
        context,
        GraphQLRequestData(query=None, variables=None, operation_name=None, extensions=None),
    )
    assert context.compiled_document is None


def test_raw_json_is_written_as_it_is_among_other_fields() -> None:
    response = {"data": {"a": RawJSON('{"x":[1,"\\""]}'), "b": None}, "errors": [{"message": "m"}]}
    assert (
        encode_response(response)
        == '{"data":{"a":{"x":[1,"\\""]},"b":null},"errors":[{"message":"m"}]}'
    )
    assert encode_response({"data": None}) == '{"data":null}'
