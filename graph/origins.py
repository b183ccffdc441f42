"""Which browser origins may call the API: one rule for HTTP (CORS) and WebSocket.

An origin is allowed when it is the server's own (the request's Host), one listed in
CORS_ALLOWED_ORIGINS, or, with CORS_ALLOW_LOCALHOST (on with DEBUG), a page on this
machine at any port: a frontend dev server works without configuration.
ALLOWED_HOSTS says which names the server answers to, never which pages may call it.
"""

from typing import Any
from urllib.parse import urlsplit

from corsheaders.middleware import CorsMiddleware as BaseCorsMiddleware
from corsheaders.signals import check_request_enabled
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest
from strawberry.http.websocket_origin import is_same_origin, normalize_origin

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _loopback(origin: str) -> bool:
    parts = urlsplit(origin)
    return parts.scheme in {"http", "https"} and parts.hostname in LOOPBACK_HOSTS


def origin_allowed(origin: str | None, *, host: str | None) -> bool:
    """Whether a page on `origin` may call the API served at `host`."""
    if not origin:
        return False
    normalized = normalize_origin(origin)
    if normalized is None:  # "null" (sandboxed pages, file://) and garbage
        return False
    if is_same_origin(normalized, host):
        return True
    allowed = {normalize_origin(item) for item in settings.CORS_ALLOWED_ORIGINS}
    if normalized in allowed:
        return True
    return bool(settings.CORS_ALLOW_LOCALHOST) and _loopback(normalized)


class CorsMiddleware(BaseCorsMiddleware):
    """django-cors-headers, deciding by origin_allowed (through the signal below) alone."""

    def origin_found_in_white_lists(self, origin: str, url: Any) -> bool:
        # Its own list check would compare differently (case, default ports) from the
        # WebSocket's; the signal handler asks origin_allowed, which needs the request.
        return False


@receiver(check_request_enabled)
def _cors_origin_allowed(sender: Any, request: HttpRequest, **kwargs: Any) -> bool:
    return origin_allowed(request.headers.get("origin"), host=request.headers.get("host"))
