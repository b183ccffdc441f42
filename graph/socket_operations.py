"""Queries and mutations sent over a socket run as over HTTP: on a thread.

graphql-ws clients may send every operation over the socket, not only subscriptions.
Strawberry's socket handlers run them with the async executor on the event loop, where the
resolvers' ORM calls are refused (SynchronousOnlyOperation). `SocketOperations.stream`
sends queries and mutations to `execute_sync` on Django's database thread instead, with
the same extensions, limits and error masking as an HTTP request; subscriptions stream as
before. The legacy protocol's `subscribe` takes them too, as that protocol allows.
"""

from collections.abc import AsyncGenerator, Iterable
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from graphql import GraphQLError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_operation_type

from graph.security.documents import parsed_document

_RUN_ON_A_THREAD = {OperationType.QUERY, OperationType.MUTATION}


def operation_type(query: str | None, operation_name: str | None) -> OperationType | None:
    """The operation's type, None when the document does not parse or name it (the normal
    path then reports the error as it would anyway). Parsed as the schema parses (the token
    limit's options), into the same cache, so the execution that follows parses nothing."""
    if not query:
        return None
    try:
        document = parsed_document(query, {"max_tokens": settings.GRAPHQL_MAX_TOKENS})
        return get_operation_type(document, operation_name)
    except (GraphQLError, RuntimeError):
        return None


async def _one(result: ExecutionResult) -> AsyncGenerator[ExecutionResult, None]:
    # execute_sync answers a parse or validation failure with a plain result; the socket
    # handlers send those as an `error` message, which they recognise by this class. Only
    # execution errors carry a path.
    if result.data is None and result.errors and all(e.path is None for e in result.errors):
        result = PreExecutionError(data=None, errors=result.errors, extensions=result.extensions)
    yield result


class SocketOperations:
    """Mixin for the Schema: where a socket's query or mutation runs."""

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> Any:
        kind = operation_type(query, operation_name)
        if kind in _RUN_ON_A_THREAD and (
            allowed_operation_types is None or kind in set(allowed_operation_types)
        ):
            execute = database_sync_to_async(self.execute_sync)  # type: ignore[attr-defined]
            result = await execute(
                query,
                variable_values=variable_values,
                context_value=context_value,
                root_value=root_value,
                operation_name=operation_name,
                operation_extensions=operation_extensions,
            )
            return _one(result)
        return await super().stream(  # type: ignore[misc]
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=allowed_operation_types,
        )

    async def subscribe(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> Any:
        return await self.stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
        )
