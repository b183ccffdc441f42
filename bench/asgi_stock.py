"""config.asgi with Django's stock ASGI handler for HTTP: the baseline that
config/asgi_http.py is measured against (bench/RESULTS.md, section 9)."""

from django.core.handlers.asgi import ASGIHandler

from config.asgi import application

application.apps["http"] = ASGIHandler()
