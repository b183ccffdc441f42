"""The HTTP side of /graphql: Strawberry's Django view with our context and CSRF rule.

Every answer is JSON in the GraphQL response shape, even when the request never
reaches GraphQL (a body too large, not JSON, a batch, a server fault), so a
client has one error format to read and never gets an HTML page or a trace.
"""

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException, SyncHTTPRequestAdapter
from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from graphql import GraphQLError, get_operation_ast
from strawberry.django.views import GraphQLView as StrawberryGraphQLView
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from config.asgi_http import request_body_limit, too_large_body
from graph.accept import GRAPHQL_RESPONSE_JSON, acceptable, response_content_type
from graph.auth import context_for_request, needs_csrf_check
from graph.compiled.http import enable_compiled_path, encode_response
from graph.context import Context
from graph.errors import BAD_USER_INPUT, FORBIDDEN
from graph.extensions import refusal
from graph.multipart import (
    CLIENT_PARSE_ERRORS,
    UPLOADS_DISABLED,
    operations_with_files,
    uploads_enabled,
)
from graph.persisted import PersistedDocumentError, apply_cache_headers, resolve_query
from graph.security.codes import INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE
from graph.security.documents import parsed_document
from graph.security.errors import (
    UNAVAILABLE_MESSAGE,
    UNEXPECTED_MESSAGE,
    is_database_unavailable,
)
from social.media.storage import request_origin

logger = logging.getLogger("graph.errors")


def error_response(message: str, code: str, status: int, **extensions: Any) -> JsonResponse:
    error = {"message": message, "extensions": {"code": code, **extensions}}
    return JsonResponse({"data": None, "errors": [error]}, status=status)


def typed_for_client(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """An answer in the GraphQL response shape, a 4xx included, typed as the client reads it
    as one (`response_content_type`); a 5xx stays application/json, a server error to retry."""
    status = response.status_code
    if response.get("Content-Type") == "application/json" and (
        status == 200 or 400 <= status < 500
    ):
        response["Content-Type"] = response_content_type(request.headers.get("Accept", ""))
        patch_vary_headers(response, ("Accept",))
    return response


def _graphql_response_wanted(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return response_content_type(accept) == GRAPHQL_RESPONSE_JSON


def _request_error(body: Mapping[str, Any]) -> bool:
    """Whether the request itself was refused before anything ran: it does not parse or
    validate, its variables do not fit (errors without a path, BAD_USER_INPUT). Sign-in
    errors are not: the contract keeps them at 200."""
    errors = body.get("errors") or ()
    return (
        body.get("data") is None
        and bool(errors)
        and all(
            "path" not in error and error.get("extensions", {}).get("code") == BAD_USER_INPUT
            for error in errors
        )
    )


HOST_NOT_SERVED = "The Host header names a host this server does not answer to (ALLOWED_HOSTS)."


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """Django's handler400 (config/urls.py): what its checks refuse before any view (a Host
    not in ALLOWED_HOSTS) is answered on /graphql in the GraphQL error shape too."""
    if request.path.rstrip("/") != "/graphql":
        return defaults.bad_request(request, exception)
    message = HOST_NOT_SERVED if isinstance(exception, DisallowedHost) else "Bad request."
    return typed_for_client(request, error_response(message, BAD_USER_INPUT, 400))


def _body_too_large(limit: int | None) -> HttpResponse:
    return HttpResponse(too_large_body(limit or 0), status=413, content_type="application/json")


def _csrf_failure(request: HttpRequest) -> HttpResponse | None:
    reason = CsrfViewMiddleware(lambda r: HttpResponse()).process_view(
        request, lambda r: HttpResponse(), (), {}
    )
    if reason is None:
        return None
    return error_response(
        "CSRF verification failed: send the csrftoken cookie's value "
        "in the X-CSRFToken header, or authenticate with a Bearer token.",
        FORBIDDEN,
        403,
    )


def _read_body(request: HttpRequest) -> bytes:
    """The body, read no further than the limit even when no Content-Length announced it."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return request.body
    body = request.read(limit + 1)
    if len(body) > limit:
        raise RequestDataTooBig()
    return body


def request_origin_of(request: HttpRequest) -> str:
    """Scheme and host of the request, for relative media URLs ("" for a host not served:
    CommonMiddleware refuses those before the view)."""
    try:
        return request.build_absolute_uri("/")
    except DisallowedHost:
        return ""


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _failed(request: HttpRequest) -> bool:
    return bool(getattr(request, "graphql_failed", False))


def _persisted_document_error(exc: PersistedDocumentError) -> JsonResponse:
    response = error_response(exc.message, exc.code, exc.status)
    # Never cached: once the client sends the query, the same URL must run it.
    response["Cache-Control"] = "private, no-store"
    return response


def failure_response(request: HttpRequest, exc: Exception) -> HttpResponseBase:
    """The JSON answer to a request that failed before or outside GraphQL execution."""
    if isinstance(exc, PersistedDocumentError):
        return _persisted_document_error(exc)
    if isinstance(exc, HTTPException):
        response = error_response(exc.reason, BAD_USER_INPUT, exc.status_code)
        if exc.status_code == 405:
            response["Allow"] = "POST" if request.method == "GET" else "GET, POST"
        return response
    if isinstance(exc, RequestDataTooBig):
        return _body_too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if isinstance(exc, CLIENT_PARSE_ERRORS):
        # Django's multipart parser refused the body (read by the CSRF check or below).
        return error_response(f"The multipart body is malformed: {exc}", BAD_USER_INPUT, 400)
    # Outside GraphQL execution (context, CSRF, session): same masking as inside.
    rid = str(getattr(request, "request_id", None) or uuid.uuid4().hex)
    if is_database_unavailable(exc):
        logger.warning("Database unavailable (request id %s) serving /graphql", rid)
        response = error_response(UNAVAILABLE_MESSAGE, SERVICE_UNAVAILABLE, 503, requestId=rid)
        response["Retry-After"] = "1"
        return response
    logger.exception("Unexpected error (request id %s) serving /graphql", rid)
    return error_response(UNEXPECTED_MESSAGE, INTERNAL_SERVER_ERROR, 500, requestId=rid)


# The members of a GraphQL-over-HTTP request body and the JSON type each must have.
_REQUEST_MEMBERS: dict[str, type] = {
    "query": str,
    "variables": dict,
    "operationName": str,
    "extensions": dict,
    # A trusted document's id, as GraphQL Codegen (documentId) and Relay (id) send it.
    "documentId": str,
    "id": str,
}
_KIND_NAMES: dict[type, str] = {str: "a string", dict: "an object"}


def operation_type(data: GraphQLRequestData) -> OperationType | GraphQLError | None:
    """The type of the operation the request names, or why it cannot run (a stream that
    answers 200 has nowhere to say it); None: the schema will say what is wrong. Parsed
    into the schema's document cache, so the stream's execution parses nothing."""
    try:
        document = parsed_document(data.query or "", {"max_tokens": settings.GRAPHQL_MAX_TOKENS})
    except GraphQLError as error:
        return GraphQLError(error.message, extensions={"code": BAD_USER_INPUT})
    refused = refusal(document, data.operation_name, data.variables)
    if refused is not None:
        return refused
    operation = get_operation_ast(document, data.operation_name)
    return None if operation is None else OperationType(operation.operation.value)


# JSON cannot carry a stream: a subscription asked for as JSON is told which transports can.
SUBSCRIPTION_NEEDS_STREAM = (
    "A subscription streams: open it over the WebSocket, or send it with Accept: "
    'text/event-stream or multipart/mixed;subscriptionSpec="1.0".'
)


@method_decorator(csrf_exempt, name="dispatch")
class GraphQLView(StrawberryGraphQLView):
    """Bearer requests need no CSRF token; cookie-authenticated writes do (graph/auth.py).

    GET may only read: a mutation sent with GET is refused with 405 before it runs.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = self._answer(request)
        if getattr(request, "graphql_request_error", False) and response.status_code == 200:
            response.status_code = 400  # GraphQL over HTTP, for a client that takes its type
        return typed_for_client(request, response)

    def _answer(self, request: HttpRequest) -> HttpResponseBase:
        if not acceptable(request.headers.get("Accept", "")):
            return error_response(
                "Nothing this endpoint sends is acceptable: accept application/json, or "
                "for a subscription text/event-stream or "
                'multipart/mixed;subscriptionSpec="1.0".',
                "NOT_ACCEPTABLE",
                406,
            )
        limit = request_body_limit(request.content_type or "")
        # Refused before anything reads the body (config/asgi_http.py already cut it off).
        if limit is not None and _content_length(request) > limit:
            return _body_too_large(limit)
        with request_origin(request_origin_of(request)):
            return self._dispatch(request)

    def _dispatch(self, request: HttpRequest) -> HttpResponseBase:
        try:
            # Django's check passes the safe methods (GET may only read, see above).
            if needs_csrf_check(request):
                failure = _csrf_failure(request)
                if failure is not None:
                    return failure
            response = self.run(request=request)
            apply_cache_headers(request, response, succeeded=not _failed(request))
            return response
        except Exception as exc:
            return failure_response(request, exc)

    def encode_json(self, data: object) -> str | bytes:
        return encode_response(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except (UnicodeDecodeError, RecursionError) as exc:
            raise HTTPException(400, "Unable to parse request body as JSON") from exc

    def should_render_graphql_ide(self, request: Any) -> bool:
        if request.method != "GET":
            return False  # as Strawberry's rule, before the query string is parsed
        # A persisted document over GET has no `query` either: it runs, even from a browser.
        params = request.query_params
        if any(params.get(name) for name in ("extensions", "documentId", "id")):
            return False
        return super().should_render_graphql_ide(request)

    def parse_http_body(
        self, request: SyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "GET":
            data = self.parse_query_params(request.query_params)
        elif request.method == "POST" and "application/json" in (request.content_type or ""):
            try:
                body = _read_body(request.request).decode()  # type: ignore[attr-defined]
            except UnicodeDecodeError as exc:
                raise HTTPException(400, "Unable to parse request body as JSON") from exc
            data = self.parse_json(body)
        elif (request.content_type or "").lower().startswith("multipart/form-data"):
            if not uploads_enabled():
                raise HTTPException(400, UPLOADS_DISABLED)
            data = operations_with_files(request.post_data, request.files)
        else:
            raise HTTPException(400, "Unsupported content type")
        if isinstance(data, list):
            raise HTTPException(400, "Batching is not enabled: send one operation per request.")
        if not isinstance(data, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        for name, kind in _REQUEST_MEMBERS.items():
            if not isinstance(data.get(name), (kind, type(None))):
                raise HTTPException(400, f"`{name}` must be {_KIND_NAMES[kind]} or null.")
        document_id = data.get("documentId") or data.get("id")
        return GraphQLRequestData(
            query=resolve_query(data.get("query"), data.get("extensions"), document_id),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
        )

    def process_result(self, request: HttpRequest, result: ExecutionResult) -> Any:
        if result.errors:
            request.graphql_failed = True  # type: ignore[attr-defined]
        body = super().process_result(request, result)
        if _graphql_response_wanted(request) and _request_error(body):
            # GraphQL over HTTP under its own type: a request error is a 400 without `data`
            # (under application/json, 200 with `data: null`, as before).
            request.graphql_request_error = True  # type: ignore[attr-defined]
            body.pop("data", None)
        return body

    def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        if operation_type(kwargs["request_data"]) is OperationType.SUBSCRIPTION:
            raise HTTPException(400, SUBSCRIPTION_NEEDS_STREAM)
        enable_compiled_path(kwargs["context"], kwargs["request_data"])
        try:
            return super().execute_single(*args, **kwargs)
        except HTTPException as exc:
            # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed.
            if isinstance(exc.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, exc.reason) from exc
            raise

    def get_context(self, request: HttpRequest, response: HttpResponse) -> Context:  # type: ignore[override]
        return context_for_request(request, Context(request=request, response=response))
