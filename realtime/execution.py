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
import contextlib
import inspect
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
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
    """Stands in for Strawberry's hook context of a phase no extension has a hook for."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        return None

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc_info: object) -> None:
        return None


_NO_HOOKS = _NoHooks()


def _overrides(extension: SchemaExtension, hook: str) -> bool:
    return getattr(type(extension), hook) is not getattr(SchemaExtension, hook)


_StrawberryPhase = Callable[[SchemaExtensionsRunner], Any]
_Factory = Callable[[SchemaExtension], AbstractContextManager[None]]
_FALLBACK = object()


# By extension class and hook name: as many entries as the schema has extension classes.
_phase_hooks: dict[tuple[type[SchemaExtension], str], Any] = {}


def _phase_hook(extension_class: type[SchemaExtension], hook: str) -> Any:
    """The class's hook for a phase as a context-manager factory, made once per class: None
    when it has none, _FALLBACK when it is not a generator (Strawberry's context runs it)."""
    key = (extension_class, hook)
    if key in _phase_hooks:
        return _phase_hooks[key]
    function = getattr(extension_class, hook)
    factory: Any = _FALLBACK
    if function is getattr(SchemaExtension, hook):
        factory = None
    elif inspect.isgeneratorfunction(function):
        factory = contextlib.contextmanager(function)
    _phase_hooks[key] = factory
    return factory


class _PhaseHooks:
    """One phase's hooks, run as Strawberry's context managers run them (each generator
    hook a context manager entered in order on an exit stack, left in reverse), without
    inspecting each hook and wrapping it in a new decorated function on every request."""

    __slots__ = ("_hooks", "_stack")

    def __init__(self, hooks: list[tuple[_Factory, SchemaExtension]]) -> None:
        self._hooks = hooks

    def __enter__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._stack.__enter__()
        for factory, extension in self._hooks:
            self._stack.enter_context(factory(extension))

    def __exit__(self, *exc_info: Any) -> bool | None:
        return self._stack.__exit__(*exc_info)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        return self.__exit__(*exc_info)


class LeanExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner, without its per-request and per-result work for hooks.

    Each event of a subscription went through a context manager and an exit stack per
    extension that has no `on_stream_result`, and asked each for `get_results`: per
    recipient of a broadcast, thousands of times per event on a process. And each request
    looked up every extension's hook for each of its four phases, inspected it and wrapped
    it in a freshly decorated function (bench/RESULTS.md section 12): here the hooks of an
    extension class are found and wrapped once.
    """

    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None
    ) -> None:
        super().__init__(execution_context, extensions)
        self._stream_hooks = any(_overrides(e, "on_stream_result") for e in self.extensions)
        self._results_hooks = any(_overrides(e, "get_results") for e in self.extensions)

    def _phase(self, hook: str, strawberry_phase: _StrawberryPhase) -> Any:
        hooks = []
        for extension in self.extensions:
            factory = _phase_hook(type(extension), hook)
            if factory is _FALLBACK:
                return strawberry_phase(self)  # an async or plain hook: Strawberry's way
            if factory is not None:
                hooks.append((factory, extension))
        return _PhaseHooks(hooks) if hooks else _NO_HOOKS

    def operation(self) -> Any:
        return self._phase("on_operation", SchemaExtensionsRunner.operation)

    def validation(self) -> Any:
        return self._phase("on_validate", SchemaExtensionsRunner.validation)

    def parsing(self) -> Any:
        return self._phase("on_parse", SchemaExtensionsRunner.parsing)

    def executing(self) -> Any:
        return self._phase("on_execute", SchemaExtensionsRunner.executing)

    def on_stream_result(self, result: Any) -> Any:
        return super().on_stream_result(result) if self._stream_hooks else _NO_HOOKS

    def get_extensions_results_sync(self) -> dict[str, Any]:
        if not self._results_hooks:
            return {}
        return super().get_extensions_results_sync()

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        if not self._results_hooks and not ctx.extensions_results:
            return {}
        return await super().get_extensions_results(ctx)
