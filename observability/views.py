"""/healthz (the process answers), /readyz (its database answers; Redis reported), /metrics."""

import hmac
import ipaddress
import logging
import os
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from config.client_address import client_ip

logger = logging.getLogger("observability.readyz")

# Short: a probe that hangs is worse than one that fails.
REDIS_TIMEOUT_SECONDS = 2.0


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        client.ping()
    finally:
        client.close()


# What a process cannot serve without. Without Redis it still serves every query and
# mutation (live events across processes wait for the broker to reconnect, rate limits are
# skipped meanwhile): every process shares that Redis, so a 503 would take them all out.
REQUIRED = frozenset({"database"})


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers (`degraded` naming Redis when only Redis does not);
    503 naming the services that did not answer when the database is one of them."""
    checks: dict[str, Callable[[], None]] = {"database": _check_database}
    redis_url: str = getattr(settings, "REDIS_URL", "")
    if redis_url:
        checks["redis"] = lambda: _check_redis(redis_url)
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # any failure means not ready
            # The class name only: a message can carry a connection string.
            results[name] = f"error: {type(exc).__name__}"
            logger.warning("readiness check failed", extra={"check": name, "error": repr(exc)})
        else:
            results[name] = "ok"
    failed = sorted(name for name, result in results.items() if result != "ok")
    unavailable = not REQUIRED.isdisjoint(failed)
    status = "unavailable" if unavailable else "degraded" if failed else "ok"
    body = {"status": status, "checks": results, "failed": failed}
    return JsonResponse(body, status=503 if unavailable else 200)


# Answered by RequestLogMiddleware ahead of the host check and the HTTPS redirect.
PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": healthz,
    "/readyz": readyz,
}


def _client_allowed(request: HttpRequest) -> bool:
    allowed: list[str] = getattr(settings, "METRICS_ALLOWED_IPS", [])
    if not allowed:
        return True
    address = client_ip(
        forwarded=request.META.get("HTTP_X_FORWARDED_FOR", ""),
        remote=request.META.get("REMOTE_ADDR", ""),
    )
    if address is None:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in allowed)


def _token_ok(request: HttpRequest) -> bool:
    token: str = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def _metrics_open(request: HttpRequest) -> bool:
    """Closed by default in production: open only with DEBUG, or to whom the settings name."""
    restricted = bool(getattr(settings, "METRICS_TOKEN", "")) or bool(
        getattr(settings, "METRICS_ALLOWED_IPS", [])
    )
    if not restricted:
        return bool(settings.DEBUG)
    return _client_allowed(request) and _token_ok(request)


def _registry() -> CollectorRegistry:
    # Several worker processes: each writes to PROMETHEUS_MULTIPROC_DIR, one scrape sums them.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, for METRICS_TOKEN and/or METRICS_ALLOWED_IPS (or DEBUG)."""
    if not _metrics_open(request):
        return HttpResponse(
            "Forbidden: set METRICS_TOKEN or METRICS_ALLOWED_IPS to read /metrics.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
