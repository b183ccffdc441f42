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


def test_the_library_internals_the_compiled_path_uses_are_still_there() -> None:
    """graphql-core 3.3's executor methods (not public API) and Django's query log, which
    graph/execution.py and graph/compiled/executor.py use: an upgrade must re-check them."""
    import inspect

    import graphql
    from django.db import connections
    from graphql.execution.executor import Executor

    assert graphql.__version__ == "3.3.2"
    assert list(inspect.signature(Executor.execute_field).parameters) == [
        "self", "parent_type", "source", "field_details_list", "path", "position_context",
    ]  # fmt: skip
    assert list(inspect.signature(Executor.collect_subfields).parameters) == [
        "self", "return_type", "field_details_list",
    ]  # fmt: skip
    assert list(inspect.signature(Executor.handle_field_error).parameters)[:5] == [
        "self", "raw_error", "return_type", "field_details_list", "path",
    ]  # fmt: skip
    connection = connections["default"]
    assert hasattr(connection, "queries_log") and hasattr(connection, "queries_logged")
