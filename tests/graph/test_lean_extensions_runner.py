"""The lean extensions runner skips per-result hook work only where no extension has a hook."""

from collections.abc import AsyncGenerator, Iterator
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from graph.extensions_runner import LeanExtensionsRunner
from graph.schema import schema as api_schema


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        for tick in range(3):
            yield tick


class LeanSchema(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> LeanExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)


seen: list[Any] = []


class CountsResults(SchemaExtension):
    def on_stream_result(self, result: Any) -> Iterator[None]:
        seen.append(result.data)
        yield

    def get_results(self) -> dict[str, Any]:
        return {"counted": len(seen)}


class NoHooks(SchemaExtension):
    pass


async def _ticks(schema: strawberry.Schema) -> list[Any]:
    stream = await schema.subscribe("subscription { ticks }")
    return [result async for result in stream]  # type: ignore[union-attr]


async def test_an_extension_with_the_hooks_still_sees_every_result() -> None:
    seen.clear()
    results = await _ticks(
        LeanSchema(query=Query, subscription=Subscription, extensions=[NoHooks, CountsResults])
    )
    assert [r.data for r in results] == [{"ticks": 0}, {"ticks": 1}, {"ticks": 2}]
    assert seen == [{"ticks": 0}, {"ticks": 1}, {"ticks": 2}]
    assert [r.extensions for r in results] == [{"counted": 0}, {"counted": 1}, {"counted": 2}]


async def test_without_hooks_results_are_unchanged() -> None:
    results = await _ticks(LeanSchema(query=Query, subscription=Subscription, extensions=[NoHooks]))
    assert [(r.data, r.errors, r.extensions) for r in results] == [
        ({"ticks": n}, None, {}) for n in range(3)
    ]


def test_the_api_schema_uses_it() -> None:
    runner = api_schema.create_extensions_runner(None, [])  # type: ignore[arg-type]
    assert isinstance(runner, LeanExtensionsRunner)
