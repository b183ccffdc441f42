"""Garbage-collector pauses are measured for /metrics."""

import gc

from prometheus_client import REGISTRY

from observability import gc_pauses


def _full_collections() -> float:
    return REGISTRY.get_sample_value("python_gc_pause_seconds_count", {"generation": "2"}) or 0.0


def test_each_collection_is_timed_by_generation() -> None:
    gc_pauses.install()
    gc_pauses.install()  # once per process, however often it is asked
    assert gc.callbacks.count(gc_pauses._on_gc) == 1
    before = _full_collections()
    gc.collect()
    assert _full_collections() == before + 1
    assert (REGISTRY.get_sample_value("python_gc_pause_seconds_sum", {"generation": "2"}) or 0) > 0
