"""When the garbage collector may stop a server process that holds thousands of sockets.

A full collection walks every tracked object, which stopped a process for seconds mid-
broadcast (bench/RESULTS.md, section 8.1). So what has lived a while is frozen every
GC_FREEZE_INTERVAL seconds and automatic collections walk only what is younger; the garbage
frozen meanwhile (closed sockets) waits for a full collection, run after enough sockets have
closed and at the latest every GC_FULL_COLLECTION_INTERVAL seconds.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)


def tune_at_startup() -> None:
    """What the loaded application holds lives as long as the process: frozen out of every
    collection. A broadcast keeps thousands of short-lived objects in flight: the youngest
    generation waits for GC_YOUNG_THRESHOLD new objects, a full collection for 100 middle
    ones, instead of CPython's 700 and 10."""
    gc.collect()
    gc.freeze()
    _young, middle, _ = gc.get_threshold()
    gc.set_threshold(int(settings.GC_YOUNG_THRESHOLD), middle, 100)


def full_collection() -> int:
    """Every object, frozen or not, is examined once; the survivors are frozen again."""
    started = time.perf_counter()
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    logger.info(
        "Full garbage collection",
        extra={
            "unreachable": found,
            "frozen": gc.get_freeze_count(),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )
    return found


# A full collection is due once this many sockets have closed since the last one, or a
# quarter of those open if more.
FULL_AFTER_CLOSED_MIN = 100
FULL_AFTER_CLOSED_SHARE = 0.25


class Maintenance:
    """The periodic freeze and full collection of one process (its Runtime's), and the
    socket counts that decide it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.task: asyncio.Task[None] | None = None
        self.last_full = time.monotonic()
        self.open_sockets = 0
        self.closed_since_full = 0

    def connection_opened(self) -> None:
        self.open_sockets += 1

    def connection_closed(self) -> None:
        self.open_sockets -= 1
        self.closed_since_full += 1

    def start(self) -> None:
        if self.task is None and float(settings.GC_FREEZE_INTERVAL) > 0:
            self.task = self.loop.create_task(self._run(), name="gc-maintenance")

    def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(float(settings.GC_FREEZE_INTERVAL))
            self.step()

    def step(self) -> None:
        full_every = float(settings.GC_FULL_COLLECTION_INTERVAL)
        due = full_every > 0 and time.monotonic() - self.last_full >= full_every
        enough_closed = max(FULL_AFTER_CLOSED_MIN, FULL_AFTER_CLOSED_SHARE * self.open_sockets)
        if due or self.closed_since_full >= enough_closed:
            self.last_full = time.monotonic()
            self.closed_since_full = 0
            full_collection()
        else:
            # The young garbage first, or its cycles would be frozen with the living.
            gc.collect(1)
            gc.freeze()
