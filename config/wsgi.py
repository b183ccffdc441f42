"""WSGI entry point: plain HTTP only (no WebSockets), e.g. behind a WSGI server.

The Procfile serves everything with uvicorn (config/asgi.py); bench/RESULTS.md compares
serving the HTTP side from a WSGI server instead.
"""

import os

from django.core.wsgi import get_wsgi_application

from realtime import memory

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
memory.tune_at_startup()
