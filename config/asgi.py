"""ASGI entry point (daphne): HTTP through Django, WebSocket /graphql through Channels."""

import os

from django.core.asgi import get_asgi_application

from config import garbage_collection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from graph.websocket import websocket_application  # noqa: E402
from notifications.broker import StartBrokerFirst  # noqa: E402
from observability import gc_pauses  # noqa: E402

application = garbage_collection.WithGcMaintenance(
    # The event broker listens from the first request on: revocations reach every process.
    StartBrokerFirst(
        ProtocolTypeRouter(
            {
                "http": django_asgi_app,
                "websocket": websocket_application,
            }
        )
    )
)

# After everything is imported: the loaded application is frozen out of collections.
garbage_collection.tune_at_startup()
gc_pauses.install()
