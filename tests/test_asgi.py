"""The server entry point tunes the garbage collector for many long-lived sockets."""

import asyncio
import gc
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from django.test import override_settings

from realtime import memory
from realtime.memory import Maintenance
from realtime.runtime import Runtime, WithRuntime, current_runtime


@pytest.fixture(autouse=True)
def _restore_collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@override_settings(GC_YOUNG_THRESHOLD=12_345)
def test_loading_the_app_freezes_it_and_spaces_out_collections() -> None:
    before = gc.get_threshold()
    memory.tune_at_startup()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (12_345, before[1], 100)


@override_settings(GC_FREEZE_INTERVAL=10, GC_FULL_COLLECTION_INTERVAL=600)
async def test_a_step_freezes_what_is_alive_out_of_automatic_collections() -> None:
    maintenance = Maintenance(asyncio.get_running_loop())
    kept = [_Cycle() for _ in range(100)]
    frozen_before = gc.get_freeze_count()
    maintenance.step()
    assert gc.get_freeze_count() >= frozen_before + len(kept)


@override_settings(GC_FREEZE_INTERVAL=10, GC_FULL_COLLECTION_INTERVAL=600)
async def test_a_frozen_cycle_is_collected_by_the_scheduled_full_collection() -> None:
    maintenance = Maintenance(asyncio.get_running_loop())
    cycle = _Cycle()
    alive = weakref.ref(cycle)
    maintenance.step()  # frozen
    del cycle
    gc.collect()
    assert alive() is not None, "a frozen cycle waits for the full collection"
    maintenance.last_full -= 600
    maintenance.step()
    assert alive() is None
    assert gc.get_freeze_count() > 0, "the survivors are frozen again"


@override_settings(GC_FREEZE_INTERVAL=10, GC_FULL_COLLECTION_INTERVAL=600)
async def test_a_full_collection_follows_when_a_quarter_of_the_sockets_have_closed() -> None:
    maintenance = Maintenance(asyncio.get_running_loop())
    for _ in range(1000):
        maintenance.connection_opened()
    cycle = _Cycle()
    alive = weakref.ref(cycle)
    maintenance.step()
    del cycle
    for _ in range(150):
        maintenance.connection_closed()
    maintenance.step()  # 150 closed, 850 open: not yet a quarter
    assert alive() is not None
    for _ in range(60):
        maintenance.connection_closed()
    maintenance.step()  # 210 closed, 790 open
    assert alive() is None
    assert maintenance.closed_since_full == 0


@override_settings(GC_FREEZE_INTERVAL=10, GC_FULL_COLLECTION_INTERVAL=600)
async def test_a_few_closed_sockets_wait_for_the_minimum() -> None:
    maintenance = Maintenance(asyncio.get_running_loop())
    maintenance.connection_opened()
    maintenance.connection_closed()
    cycle = _Cycle()
    alive = weakref.ref(cycle)
    maintenance.step()
    del cycle
    maintenance.step()
    assert alive() is not None
    for _ in range(memory.FULL_AFTER_CLOSED_MIN):
        maintenance.connection_opened()
        maintenance.connection_closed()
    maintenance.step()
    assert alive() is None


@override_settings(GC_FREEZE_INTERVAL=10, GC_FULL_COLLECTION_INTERVAL=600)
async def test_young_garbage_is_collected_before_the_freeze() -> None:
    maintenance = Maintenance(asyncio.get_running_loop())
    cycle = _Cycle()
    dead = weakref.ref(cycle)
    del cycle
    maintenance.step()
    assert dead() is None


async def _app(scope: Any, receive: Any, send: Any) -> str:
    return "served"


@pytest.fixture
async def started() -> AsyncIterator[list[Runtime]]:
    """The runtimes the application started, closed at the end."""
    runtimes: list[Runtime] = []
    yield runtimes
    for runtime in runtimes:
        await runtime.close()


@override_settings(GC_FREEZE_INTERVAL=10, REDIS_URL="")
async def test_the_first_connection_starts_one_maintenance_task_per_loop(
    started: list[Runtime],
) -> None:
    app = WithRuntime(http=_app, websocket=_app)
    assert await app({"type": "http"}, None, None) == "served"
    first = current_runtime()
    assert first is not None
    started.append(first)
    task = first.memory.task
    assert task is not None and not task.done()
    await app({"type": "websocket"}, None, None)
    assert current_runtime() is first and first.memory.task is task


@override_settings(GC_FREEZE_INTERVAL=0, REDIS_URL="")
async def test_a_zero_interval_leaves_collections_to_cpython(started: list[Runtime]) -> None:
    await WithRuntime(http=_app, websocket=_app)({"type": "http"}, None, None)
    runtime = current_runtime()
    assert runtime is not None
    started.append(runtime)
    assert runtime.memory.task is None


@override_settings(GC_FREEZE_INTERVAL=10, REDIS_URL="")
async def test_the_lifespan_starts_the_runtime_and_its_shutdown_closes_it() -> None:
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> dict[str, str]:
        return messages.pop(0)

    async def send(message: dict[str, str]) -> None:
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            runtime = current_runtime()
            assert runtime is not None and runtime.started and runtime.memory.task is not None

    await WithRuntime(http=_app, websocket=_app)({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert current_runtime() is None


@override_settings(GC_FREEZE_INTERVAL=0.01, GC_FULL_COLLECTION_INTERVAL=600)
async def test_the_task_freezes_on_its_interval() -> None:
    maintenance = Maintenance(asyncio.get_running_loop())
    maintenance.start()
    try:
        gc.unfreeze()
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 0
    finally:
        maintenance.stop()


@pytest.mark.django_db  # Django's request signals touch the test database's connection
def test_the_wsgi_entry_point_serves_http() -> None:
    import importlib
    import io

    wsgi = importlib.import_module("config.wsgi")
    statuses: list[str] = []
    body = wsgi.application(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/healthz",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "wsgi.input": io.BytesIO(),
            "wsgi.url_scheme": "http",
        },
        lambda status, headers: statuses.append(status),
    )
    assert statuses == ["200 OK"]
    assert b"ok" in b"".join(body)
