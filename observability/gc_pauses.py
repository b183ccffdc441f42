"""How long the garbage collector stops the process, per generation, for /metrics.

A full collection walks every live object, so with thousands of sockets on a process it
stalls every delivery behind it (bench/RESULTS.md); this makes the stalls visible.
"""

import gc
import time
from typing import Any

from observability.metrics import GC_PAUSE_SECONDS

_started: list[float] = []


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started.append(time.perf_counter())
    elif _started:
        GC_PAUSE_SECONDS.labels(generation=str(info["generation"])).observe(
            time.perf_counter() - _started.pop()
        )


def install() -> None:
    """Idempotent: one callback per process."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)
        for generation in "012":  # shown from the start, not from the first such pause
            GC_PAUSE_SECONDS.labels(generation=generation)
