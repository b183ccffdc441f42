"""Structured log lines: one JSON object per HTTP request and per WebSocket event.

Fields are chosen here, never copied wholesale from a request, so a token,
a password or a private body cannot reach the logs by accident.
"""

import logging
import re
import uuid
from typing import Any

request_logger = logging.getLogger("observability.request")
ws_logger = logging.getLogger("observability.ws")

# A proxy's X-Request-ID is kept when it looks like an id; anything else is replaced.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
# Keys whose values never go into a log line, whoever passes them.
_SECRET_KEY_PARTS = ("token", "password", "authorization", "secret", "cookie", "payload")


def new_request_id(incoming: str | None = None) -> str:
    if incoming and _REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def safe_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Drops secret-looking keys and keeps values to scalars."""
    safe: dict[str, Any] = {}
    for key, value in fields.items():
        if any(part in key.lower() for part in _SECRET_KEY_PARTS):
            continue
        if value is None or isinstance(value, bool | int | float):
            safe[key] = value
        else:
            safe[key] = str(value)[:200]
    return safe


def log_request(**fields: Any) -> None:
    """The one line of an HTTP request (called by RequestLogMiddleware)."""
    # Load-balancer probes arrive every few seconds: kept out of INFO.
    level = logging.DEBUG if fields.pop("probe", False) else logging.INFO
    if not request_logger.isEnabledFor(level):
        return  # e.g. LOG_LEVEL=WARNING: the fields are not even filtered
    request_logger.log(level, "request", extra=safe_fields(fields))


def log_ws_event(event: str, **fields: Any) -> None:
    """One line per WebSocket session event.

    For realtime/transport.py: `event` is e.g. "connect", "connection_init",
    "subscribe", "complete", "disconnect", "rejected"; useful fields are
    connection_id, user_id, operation_name, duration_ms, close_code, reason.
    Secret-looking keys (token, authorization, payload, ...) are dropped.
    """
    if not ws_logger.isEnabledFor(logging.INFO):
        return  # e.g. LOG_LEVEL=WARNING: not even the fields are built
    ws_logger.info("ws", extra={"event": event, **safe_fields(fields)})
