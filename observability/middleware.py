"""Request id, the JSON request log line, the probes answered before anything else, and
static files without a thread hop under ASGI."""

import time
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings as django_settings
from django.http import HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware

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


def _adopt_mode(middleware: Any, get_response: Any) -> bool:
    """Async when what follows in the stack is (Django's protocol for dual middleware)."""
    is_async = iscoroutinefunction(get_response)
    if is_async:
        markcoroutinefunction(middleware)
    return is_async


class RequestLogMiddleware:
    """First in MIDDLEWARE: times the whole stack and tags the request with its id.

    /healthz and /readyz are answered here, ahead of the host check and the HTTPS
    redirect, because a load balancer probes by IP address over plain HTTP.
    Sync and async: under daphne a sync-only first middleware made Django hop from the
    event loop to a thread and back for every request before reaching the view's own hop.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = _adopt_mode(self, get_response)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        started, probe = self._begin(request)
        response = probe(request) if probe is not None else self.get_response(request)
        return self._end(request, response, started, probe is not None)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        started, probe = self._begin(request)
        if probe is not None:
            # /readyz asks the database and Redis: not on the event loop, and in the thread
            # of the sync views, whose connections Django closes when a request finishes.
            response = await sync_to_async(probe)(request)
        else:
            response = await self.get_response(request)
        return self._end(request, response, started, probe is not None)

    def _begin(self, request: HttpRequest) -> tuple[float, Any]:
        started = time.perf_counter()
        request.request_id = new_request_id(request.headers.get("X-Request-ID"))  # type: ignore[attr-defined]
        return started, PROBES.get(request.path_info)

    def _end(
        self, request: HttpRequest, response: HttpResponseBase, started: float, probe: bool
    ) -> HttpResponseBase:
        request_id = request.request_id  # type: ignore[attr-defined]
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
            probe=probe,
        )
        return response


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, able to run in Django's async middleware chain.

    WhiteNoise's middleware is sync-only, so under daphne Django wrapped everything below it
    in one more event-loop/thread round trip per request. Requests that are not for a
    static file (nearly all) pass straight through; a static file is served as WhiteNoise
    serves it, in a thread.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any = None, settings: Any = django_settings) -> None:
        super().__init__(get_response, settings=settings)
        self.async_mode = _adopt_mode(self, get_response)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        return super().__call__(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if self.autorefresh:
            static_file = await sync_to_async(self.find_file, thread_sensitive=False)(
                request.path_info
            )
        else:
            static_file = self.files.get(request.path_info)
        if static_file is None:
            return await self.get_response(request)  # type: ignore[no-any-return]
        return await sync_to_async(self.serve, thread_sensitive=False)(static_file, request)  # type: ignore[no-any-return]
