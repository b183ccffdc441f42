"""ASGI entry point (daphne): HTTP through Django, WebSocket /graphql through Channels."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from graph.websocket import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_application,
    }
)


def _tune_garbage_collector() -> None:
    """Fewer, smaller full collections: each walks every live object, and with 500 sockets
    on a process one took 200-400 ms, a stall that every delivery behind it waited out (the
    p99 of a targeted notification; bench/RESULTS.md). What exists once the app is loaded
    lives as long as the process, so it is frozen out of every collection; and a full
    collection waits for 100 younger ones instead of 10 (it still also waits until the
    long-lived objects have grown by a quarter, as CPython always does)."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)


_tune_garbage_collector()
