"""Each library internal listed in docs/internals.md, pinned: these fail when an upgrade
changes what the code relies on (re-check docs/internals.md, then update the pins)."""

import inspect
from datetime import UTC, datetime
from importlib.metadata import version
from inspect import isawaitable
from typing import Any

import pytest
import strawberry
from django.db import connection
from graphql import FieldNode, FragmentDefinitionNode, GraphQLObjectType, GraphQLSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.internals import RootField, RootFieldHook, field_nodes, node_of

PINNED = {
    "strawberry-graphql": "0.341.2",
    "graphql-core": "3.3.2",
    "Django": "5.2.19",
    "psycopg": "3.3.9",
}


@pytest.mark.parametrize("package", sorted(PINNED))
def test_the_versions_checked_are_the_versions_installed(package: str) -> None:
    assert version(package) == PINNED[package], "re-check docs/internals.md for this upgrade"


def test_raw_info_holds_the_field_nodes_and_fragments() -> None:
    seen: dict[str, Any] = {}

    @strawberry.type
    class Query:
        @strawberry.field
        def probe(self, info: strawberry.Info) -> int:
            seen["nodes"], seen["fragments"] = field_nodes(info)  # type: ignore[arg-type]
            return 1

    schema = strawberry.Schema(query=Query)
    result = schema.execute_sync("query { ...F } fragment F on Query { probe }")
    assert result.errors is None
    (node,) = seen["nodes"]
    assert isinstance(node, FieldNode) and node.name.value == "probe"
    assert isinstance(seen["fragments"]["F"], FragmentDefinitionNode)


def test_the_core_schema_executes_a_subscription_document_with_an_event_as_root() -> None:
    # realtime/delivery.py `render`: graphql-core's execute of a subscription operation
    # resolves the root field to the event (Strawberry's subscription resolve is identity),
    # through Strawberry's executor class.
    from graphql import GraphQLSchema, execute, parse
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    from graph.context import Context
    from graph.internals import core_schema
    from graph.schema import schema

    core = core_schema(schema)
    assert isinstance(core, GraphQLSchema) and core.subscription_type is not None
    result = execute(
        core,
        parse("subscription { unreadNotificationCountChanged }"),
        root_value=7,
        context_value=Context(viewer_id=1),
        executor_class=StrawberryGraphQLCoreExecutionContext,
    )
    assert not isawaitable(result)
    assert result.errors is None and result.data == {"unreadNotificationCountChanged": 7}


def test_the_extension_runner_hooks_exist() -> None:
    from strawberry.extensions.runner import SchemaExtensionsRunner

    assert callable(SchemaExtensionsRunner.on_stream_result)
    assert callable(SchemaExtensionsRunner.get_extensions_results)
    # LeanExtensionsRunner's phases (tests/graph/test_extension_runner.py compares them).
    for phase in ("operation", "validation", "parsing", "executing"):
        assert list(inspect.signature(getattr(SchemaExtensionsRunner, phase)).parameters) == [
            "self"
        ]
    assert callable(SchemaExtensionsRunner.get_extensions_results_sync)


@pytest.mark.django_db
def test_datetimes_adapt_as_the_orm_stores_them() -> None:
    from social.models import Post
    from tests.factories import make_post, make_user

    post = make_post(make_user("ann"), "hi")
    moment = Post.objects.get(pk=post.pk).created_at
    adapted = connection.ops.adapt_datetimefield_value(moment.astimezone(UTC))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {Post._meta.db_table} WHERE created_at = %s",  # noqa: S608
            [adapted],
        )
        assert cursor.fetchone()[0] == 1
    assert connection.ops.adapt_datetimefield_value(None) is None
    assert isinstance(moment, datetime)


def _answering_schema(answer: Any) -> tuple[strawberry.Schema, list[RootField]]:
    """A schema whose executor asks `answer` for each root field (graph/internals.py)."""
    seen: list[RootField] = []

    class Hook(RootFieldHook, StrawberryGraphQLCoreExecutionContext):
        def answer_root_field(self, field: RootField) -> Any:
            seen.append(field)
            return answer(field)

    @strawberry.type
    class Inner:
        a: int = 1
        b: int = 2

    @strawberry.type
    class Query:
        @strawberry.field
        def probe(self, size: int = 0) -> Inner:
            return Inner()

    schema = strawberry.Schema(query=Query, execution_context_class=Hook)
    return schema, seen


def test_the_executor_asks_the_hook_for_each_root_field_with_its_subfields() -> None:
    schema, seen = _answering_schema(lambda field: None)
    result = schema.execute_sync(
        "query Q($n: Int) { x: probe(size: $n) { ...F b @skip(if: true) } } "
        "fragment F on Inner { a }",
        variable_values={"n": 3},
        context_value="ctx",
    )
    assert result.errors is None and result.data == {"x": {"a": 1}}
    (field,) = seen
    assert (field.name, field.response_key, field.context) == ("probe", "x", "ctx")
    assert field.operation.name is not None and field.operation.name.value == "Q"
    assert field.variables.coerced == {"n": 3}
    assert isinstance(field.schema, GraphQLSchema)
    assert isinstance(node_of(field.group), FieldNode)
    inner = field.schema.get_type("Inner")
    assert isinstance(inner, GraphQLObjectType)
    subfields = field.subfields(inner, field.group)
    assert list(subfields) == ["a"]  # fragments spread, @skip applied
    assert node_of(subfields["a"]).name.value == "a"


def test_a_root_field_answered_by_the_hook_skips_its_resolver() -> None:
    schema, _ = _answering_schema(lambda field: {"a": 7, "b": 8})
    assert schema.execute_sync("{ probe { a } }").data == {"probe": {"a": 7, "b": 8}}


def test_an_exception_of_the_hook_is_a_located_field_error() -> None:
    def fail(field: RootField) -> Any:
        raise ValueError("broken")

    schema, _ = _answering_schema(fail)
    result = schema.execute_sync("{ probe { a } }")
    assert result.data is None
    assert result.errors is not None and result.errors[0].path == ["probe"]
    assert result.errors[0].message == "broken"


def test_the_executor_methods_the_hook_overrides_and_calls_keep_their_signatures() -> None:
    from graphql.execution.executor import Executor

    assert list(inspect.signature(Executor.execute_field).parameters) == [
        "self", "parent_type", "source", "field_details_list", "path", "position_context",
    ]  # fmt: skip
    assert list(inspect.signature(Executor.collect_subfields).parameters) == [
        "self", "return_type", "field_details_list",
    ]  # fmt: skip
    assert list(inspect.signature(Executor.handle_field_error).parameters)[:5] == [
        "self", "raw_error", "return_type", "field_details_list", "path",
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_statement_recorded_in_the_query_log_is_counted_as_django_counts() -> None:
    from django.test.utils import CaptureQueriesContext

    from graph.compiled.database import log_query

    assert connection.queries_logged is False  # off outside DEBUG and query counting
    with CaptureQueriesContext(connection) as captured:
        assert connection.queries_logged is True
        log_query("SELECT 1 -- {}", 0.001)
    assert [q["sql"] for q in captured.captured_queries] == ["SELECT 1 -- {}"]


@pytest.mark.django_db
def test_django_leaves_psycopg_preparing_off_until_the_compiled_path_asks() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("psycopg is PostgreSQL's driver")
    from graph.compiled.database import run

    # Django's choice for every connection it opens (pooled or not): its cursors never prepare.
    assert connection.get_connection_params()["prepare_threshold"] is None
    connection.ensure_connection()
    raw = connection.connection
    assert "prepare_threshold" in dir(raw)
    assert run("SELECT $1::text", ["x"], logged=lambda: "SELECT 'x'") == "x"
    assert raw.prepare_threshold is not None  # ours, which ask, are prepared
    assert connection.connection is raw  # on the same live connection


async def test_strawberry_frames_a_subscription_stream_with_heartbeats() -> None:
    """graph/internals.py stream_frames: Strawberry's private _stream_result."""
    from strawberry.django.views import AsyncGraphQLView
    from strawberry.types import ExecutionResult

    from graph.accept import SSEStream
    from graph.internals import stream_frames
    from graph.schema import schema

    async def results() -> Any:
        yield ExecutionResult(data={"a": 1}, errors=None)

    view = AsyncGraphQLView(schema=schema)
    frames = [f async for f in stream_frames(view, None, results(), SSEStream())()]
    assert frames == [
        'event: next\r\ndata: {"data":{"a":1}}\r\n\r\n',
        "event: complete\r\ndata: \r\n\r\n",
    ]


def test_the_provided_operation_name_is_what_the_request_sent() -> None:
    from strawberry.extensions import SchemaExtension

    from graph.internals import provided_operation_name

    seen: list[tuple[str | None, str | None]] = []

    class Probe(SchemaExtension):
        def on_execute(self) -> Any:
            context = self.execution_context
            seen.append((provided_operation_name(context), context.operation_name))
            yield

    @strawberry.type
    class Query:
        x: int = 1

    schema = strawberry.Schema(query=Query, extensions=[Probe])
    document = "query A { x } query B { x }"
    schema.execute_sync(document, root_value=Query())
    schema.execute_sync(document, root_value=Query(), operation_name="B")
    # The public property names the first operation when none was sent.
    assert seen == [(None, "A"), ("B", "B")]
