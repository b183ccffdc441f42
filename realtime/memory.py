"""When the garbage collector may stop a server process that holds thousands of sockets.

A full collection walks every tracked object; with 2,500 sockets of the first design on a
process it stopped it for 1.7 s, and CPython starts one whenever the long-lived objects grow
by a quarter, which a broadcast does (bench/RESULTS.md, section 8). So what has lived a while
is frozen (`gc.freeze()`) every GC_FREEZE_INTERVAL seconds and automatic collections walk only
what is younger. A frozen cycle that becomes garbage (a closed socket) waits for a full
collection: it runs once a quarter as many sockets have closed as are open (at least
FULL_AFTER_CLOSED_MIN), and at the latest every GC_FULL_COLLECTION_INTERVAL seconds.
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
    collection. The youngest generation is collected after GC_YOUNG_THRESHOLD new objects
    instead of CPython's 700: a broadcast keeps thousands of short-lived objects in flight,
    and each collection walked them again (with 10,000 instead of 700: 1.6 instead of 4.9 s
    of collections in three broadcasts to 9,000 sockets). A full collection waits for 100
    middle ones instead of 10 (besides CPython's own rule that long-lived objects must have
    grown by a quarter)."""
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
# quarter of those open if more: memory held by closed sockets stays a fraction of the open.
FULL_AFTER_CLOSED_MIN = 100
FULL_AFTER_CLOSED_SHARE = 0.25


def _churned(open_sockets: int, closed_since_full: int) -> bool:
    wanted = max(FULL_AFTER_CLOSED_MIN, FULL_AFTER_CLOSED_SHARE * open_sockets)
    return closed_since_full >= wanted


class Maintenance:
    """The periodic freeze and full collection of one event loop (one per server process,
    owned by its realtime.runtime.Runtime), and the socket counts that decide it."""

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
        if due or _churned(self.open_sockets, self.closed_since_full):
            self.last_full = time.monotonic()
            self.closed_since_full = 0
            full_collection()
        else:
            # The young garbage first, or its cycles would be frozen with the living.
            gc.collect(1)
            gc.freeze()
