"""LeanExtensionsRunner runs every phase's hooks as Strawberry's own runner does: same
order, same results, same errors, sync and async; only the per-request work is gone."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graph.extensions_runner import LeanExtensionsRunner

events: list[str] = []


def _recording(name: str, fail_in: str | None = None) -> type[SchemaExtension]:
    def hook(phase: str) -> Any:
        def run(self: SchemaExtension) -> Iterator[None]:
            events.append(f"{name} enter {phase}")
            if fail_in == phase:
                raise ValueError(f"{name} refuses {phase}")
            try:
                yield
            except Exception as exc:
                events.append(f"{name} saw {type(exc).__name__} in {phase}")
                raise
            events.append(f"{name} exit {phase}")

        return run

    return type(
        name,
        (SchemaExtension,),
        {
            "on_operation": hook("operation"),
            "on_parse": hook("parse"),
            "on_validate": hook("validate"),
            "on_execute": hook("execute"),
        },
    )


class PlainHook(SchemaExtension):
    """A hook that is a plain function, not a generator: Strawberry's context runs it."""

    def on_execute(self) -> None:  # type: ignore[override]
        events.append("plain execute")


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        events.append("resolve hello")
        return "world"

    @strawberry.field
    def broken(self) -> str:
        raise RuntimeError("resolver failed")


class LeanSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> LeanExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)


def _run(schema_class: type[strawberry.Schema], extensions: list[Any], query: str, mode: str):  # type: ignore[no-untyped-def]
    events.clear()
    schema = schema_class(query=Query, extensions=extensions)
    result = schema.execute_sync(query) if mode == "sync" else asyncio.run(schema.execute(query))
    return (
        result.data,
        [e.message for e in result.errors or []],
        result.extensions,
        list(events),
    )


CASES = [
    ([_recording("A"), _recording("B")], "{ hello }"),
    ([_recording("A"), _recording("B")], "{ broken }"),
    ([_recording("A"), _recording("B")], "{ nope }"),
    ([_recording("A"), _recording("B")], "{ hello"),
    ([_recording("A"), _recording("B", fail_in="validate")], "{ hello }"),
    ([_recording("A"), _recording("B", fail_in="execute")], "{ hello }"),
    ([_recording("A"), PlainHook], "{ hello }"),
    ([], "{ hello }"),
]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("extensions", "query"), CASES)
def test_the_lean_runner_behaves_as_strawberrys(
    extensions: list[Any], query: str, mode: str
) -> None:
    lean = _run(LeanSchema, extensions, query, mode)
    stock = _run(strawberry.Schema, extensions, query, mode)
    assert lean == stock
    assert lean[3] or not extensions, "the hooks ran"
