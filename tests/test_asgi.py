"""The server entry point tunes the garbage collector for many long-lived sockets."""

import gc
import importlib


def test_loading_the_app_freezes_it_and_spaces_out_full_collections() -> None:
    before = gc.get_threshold()
    try:
        importlib.import_module("config.asgi")._tune_garbage_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (before[0], before[1], 100)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
