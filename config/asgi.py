"""ASGI entry point: HTTP through Django (config/asgi_http.py), WebSocket /graphql through
Channels, on one port."""

import os

import django

from config import garbage_collection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter  # noqa: E402

from config.asgi_http import OneHopHTTPHandler  # noqa: E402
from graph.websocket import websocket_application  # noqa: E402
from notifications.broker import StartBrokerFirst  # noqa: E402
from observability import gc_pauses  # noqa: E402

application = garbage_collection.WithGcMaintenance(
    # The event broker listens from the first request on: revocations reach every process.
    StartBrokerFirst(
        ProtocolTypeRouter(
            {
                "http": OneHopHTTPHandler(),
                "websocket": websocket_application,
            }
        )
    )
)

# After everything is imported: the loaded application is frozen out of collections.
garbage_collection.tune_at_startup()
gc_pauses.install()
