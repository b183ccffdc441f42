"""Strawberry's extension runner without its per-request and per-result work for hooks
that no extension of the schema has (bench/RESULTS.md sections 8.2 and 13)."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext


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
