"""Request id, the JSON request log line, and the probes answered before anything else."""

import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from observability.logging import log_request, new_request_id
from observability.views import PROBES


def _user_id(request: HttpRequest) -> int | None:
    viewer_id = getattr(request, "graphql_viewer_id", None)
    if viewer_id is not None:
        return int(viewer_id)
    user: Any = request.__dict__.get("user")
    # Only a user that something already loaded: the log line must cost no query.
    wrapped = getattr(user, "_wrapped", None)
    if wrapped is None or not getattr(wrapped, "is_authenticated", False):
        return None
    return int(wrapped.pk)


class RequestLogMiddleware:
    """First in MIDDLEWARE: times the whole stack and tags the request with its id.

    /healthz and /readyz are answered here, ahead of the host check and the HTTPS
    redirect, because a load balancer probes by IP address over plain HTTP.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        probe = PROBES.get(request.path_info)
        response = probe(request) if probe is not None else self.get_response(request)
        response["X-Request-ID"] = request_id
        log_request(
            request_id=request_id,
            method=request.method,
            path=request.path_info,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            user_id=_user_id(request),
            operation_name=getattr(request, "graphql_operation_name", None),
            operation_type=getattr(request, "graphql_operation_type", None),
            error_codes=",".join(getattr(request, "graphql_error_codes", ())) or None,
            probe=probe is not None,
        )
        return response
