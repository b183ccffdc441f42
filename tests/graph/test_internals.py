"""Each library internal listed in docs/internals.md, pinned: these fail when an upgrade
changes what the code relies on (re-check docs/internals.md, then update the pins)."""

from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import pytest
import strawberry
from django.db import connection
from graphql import FieldNode, FragmentDefinitionNode

from graph.internals import field_nodes

PINNED = {
    "strawberry-graphql": "0.341.2",
    "graphql-core": "3.3.2",
    "Django": "5.2.19",
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


def test_the_per_event_executor_hook_exists() -> None:
    from graphql.execution.executor import Executor
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    assert issubclass(StrawberryGraphQLCoreExecutionContext, Executor)
    assert callable(Executor.build_per_event_executor)
    assert callable(Executor.execute_operation)


def test_the_extension_runner_hooks_exist() -> None:
    from strawberry.extensions.runner import SchemaExtensionsRunner

    assert callable(SchemaExtensionsRunner.on_stream_result)
    assert callable(SchemaExtensionsRunner.get_extensions_results)


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
