"""Executing a subscription event once for all the subscriptions that would render it alike.

A post by a popular author reaches thousands of `homeFeedPostAdded` subscriptions on one
process. Viewers who see the post alike already share one PostView of it
(realtime/delivery.py); with the same operation they would also produce
the same result, so the first subscription executes it and the rest reuse the result.
Per-subscriber execution was the largest part of a broadcast (bench/RESULTS.md).

Only payloads marked with `share_results` take part, and only operations without
variables (a variable can change what is selected, through @include or @skip).
Everything else executes as graphql-core would.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from graphql import ExecutionResult, OperationType
from graphql.pyutils import AwaitableOrValue
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionContext

# Per shared payload (by identity, while it lives): the results by operation node.
_results: dict[int, dict[int, tuple[Any, Any]]] = {}


def share_results(payload: Any) -> None:
    """Lets the subscriptions handed this payload (this very object, weakly referenceable)
    share their execution of it.

    Only for a payload whose every field resolves the same for each subscription that
    receives it: no viewer-dependent field may read anything but the payload itself.
    """
    key = id(payload)
    _results[key] = {}
    # Forgotten with the payload, before its id can be another object's.
    weakref.finalize(payload, _results.pop, key, None)


async def _shared(task: asyncio.Future[ExecutionResult]) -> ExecutionResult:
    # Shielded: a subscription that ends must not cancel its siblings' result.
    return await asyncio.shield(task)


class _Executed:
    """Stands in for a per-event executor whose result another subscription produced."""

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def execute_operation(self, serially: bool | None = None) -> AwaitableOrValue[Any]:
        outcome = self.outcome
        return _shared(outcome) if isinstance(outcome, asyncio.Future) else outcome


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, sharing the execution of marked payloads; queries, mutations
    and unmarked payloads run unchanged (the schema's executor, graph/schema.py, adds to it)."""

    def build_per_event_executor(self, payload: Any) -> Any:
        # Copying the executor for each subscriber cost as much as executing did.
        results = _results.get(id(payload))
        entry = results.get(id(self.operation)) if results is not None else None
        if entry is not None:
            return _Executed(entry[1])
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> AwaitableOrValue[Any]:
        results = _results.get(id(self.root_value))
        operation = self.operation
        if (
            results is None
            or operation.operation != OperationType.SUBSCRIPTION
            or operation.variable_definitions
        ):
            return super().execute_operation(serially)
        # The parser cache hands every subscription of one query text the same node;
        # it is kept in the entry, so its id cannot be reused while the entry lives.
        entry = results.get(id(operation))
        if entry is None:
            outcome = super().execute_operation(serially)
            if self.is_awaitable(outcome):
                outcome = asyncio.ensure_future(outcome)
            entry = results[id(operation)] = (operation, outcome)
        return _Executed(entry[1]).execute_operation(serially)


class _NoHooks:
    """Stands in for Strawberry's per-result hook context when no extension has the hook."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: object) -> None:
        return None


_NO_HOOKS = _NoHooks()


def _overrides(extension: SchemaExtension, hook: str) -> bool:
    return getattr(type(extension), hook) is not getattr(SchemaExtension, hook)


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner, without its per-result work for hooks that nothing implements.

    Each event of a subscription went through a context manager and an exit stack per
    extension that has no `on_stream_result`, and asked each for `get_results`: per
    recipient of a broadcast, thousands of times per event on a process.
    """

    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None
    ) -> None:
        super().__init__(execution_context, extensions)
        self._stream_hooks = any(_overrides(e, "on_stream_result") for e in self.extensions)
        self._results_hooks = any(_overrides(e, "get_results") for e in self.extensions)

    def on_stream_result(self, result: Any) -> Any:
        return super().on_stream_result(result) if self._stream_hooks else _NO_HOOKS

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        if not self._results_hooks and not ctx.extensions_results:
            return {}
        return await super().get_extensions_results(ctx)
