"""ASGI entry point: HTTP through Django (config/asgi_http.py), WebSocket /graphql through
realtime/transport.py, on one port."""

import os

import django

from realtime import memory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.asgi_http import OneHopHTTPHandler  # noqa: E402
from observability import gc_pauses  # noqa: E402
from realtime.runtime import WithRuntime  # noqa: E402
from realtime.transport import websocket_application  # noqa: E402

# The process's live side (realtime.runtime) starts with the application: at the lifespan's
# startup, or on the first request or socket (the Procfile runs uvicorn with --lifespan off).
# Its broker listens from then on: revocations reach every process.
application = WithRuntime(http=OneHopHTTPHandler(), websocket=websocket_application)

# After everything is imported: the loaded application is frozen out of collections.
memory.tune_at_startup()
gc_pauses.install()
