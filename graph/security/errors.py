"""What clients see of errors: API errors as they are, anything unexpected masked.

Strawberry hands every error of every operation (parse, validation, variables,
resolvers, and exceptions raised by extensions) to `Schema.process_errors` before
the response is built, so this is the one place that sees them all. Strawberry's
MaskErrors extension is not used: it misses exceptions raised by other extensions
(their result is built after the hooks unwind) and drops `extensions`, where the
request id goes.
"""

import logging
import re
import uuid
from typing import Any

import strawberry
from django.conf import settings
from django.db import InterfaceError, OperationalError
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from graph.errors import BAD_USER_INPUT
from graph.security.codes import INTERNAL_SERVER_ERROR, QUERY_TOO_COMPLEX, SERVICE_UNAVAILABLE
from graph.security.limits import LIMIT_MESSAGES

logger = logging.getLogger("graph.errors")

UNEXPECTED_MESSAGE = "Unexpected error."
UNAVAILABLE_MESSAGE = "The database is unavailable right now. Retry in a moment."
# graphql-core's hints ("Did you mean 'email'?") map the schema for a prober.
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)


def is_unexpected(error: GraphQLError) -> bool:
    """A Python exception that no rule of the API raised on purpose: a bug or an outage."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    # A scalar rejecting a variable or literal: the client's input, located in the query.
    return not (error.nodes and error.path is None)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """The database refused or lost the connection (a restart, an outage): retryable."""
    return isinstance(exc, OperationalError | InterfaceError)


def request_id(execution_context: ExecutionContext | None) -> str:
    """One id per request, shared by its log lines and its masked errors."""
    context: Any = execution_context.context if execution_context else None
    cache = getattr(context, "cache", None)
    if isinstance(cache, dict) and "request_id" in cache:
        return str(cache["request_id"])
    request = getattr(context, "request", None)
    rid = str(getattr(request, "request_id", None) or uuid.uuid4().hex)
    if isinstance(cache, dict):
        cache["request_id"] = rid
    return rid


def present_error(error: GraphQLError, execution_context: ExecutionContext | None) -> None:
    """Rewrites `error` in place into what the client may see."""
    production = not settings.DEBUG
    if is_unexpected(error) and is_database_unavailable(error.original_error):
        rid = request_id(execution_context)
        logger.warning("Database unavailable (request id %s): %s", rid, error.message)
        error.message = UNAVAILABLE_MESSAGE
        error.extensions = {"code": SERVICE_UNAVAILABLE, "requestId": rid}
        return
    if is_unexpected(error):
        rid = request_id(execution_context)
        original = error.original_error
        assert original is not None
        operation = execution_context.operation_name if execution_context else None
        logger.error(
            "Unexpected error (request id %s) in operation %s at %s: %s",
            rid,
            operation or "<anonymous>",
            ".".join(str(p) for p in error.path or ()) or "-",
            error.message,
            exc_info=(type(original), original, original.__traceback__),
        )
        if production:
            error.message = UNEXPECTED_MESSAGE
        error.extensions = {"code": INTERNAL_SERVER_ERROR, "requestId": rid}
        return
    extensions = dict(error.extensions or {})
    if "code" not in extensions:
        limit = any(fragment in error.message for fragment in LIMIT_MESSAGES)
        extensions["code"] = QUERY_TOO_COMPLEX if limit else BAD_USER_INPUT
        error.extensions = extensions
    if production:
        error.message = _SUGGESTION.sub("", error.message)


def fix_is_one_of() -> None:
    """Strawberry's `__Type.isOneOf` reads `extensions`, which list and non-null types lack:
    `fields { type { isOneOf } }` was an unexpected error. Null for them, as the
    specification says for every type but an input object. Every strawberry.Schema built
    replaces the shared field again: called after each (idempotent)."""
    from graphql.type.introspection import introspection_types

    is_one_of = introspection_types["__Type"].fields["isOneOf"]  # type: ignore[attr-defined]
    strawberry_resolve = is_one_of.resolve
    if strawberry_resolve is None or getattr(strawberry_resolve, "null_for_wrappers", False):
        return

    def resolve(type_: Any, info: Any) -> Any:
        return strawberry_resolve(type_, info) if hasattr(type_, "extensions") else None

    resolve.null_for_wrappers = True  # type: ignore[attr-defined]
    is_one_of.resolve = resolve


class ApiSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fix_is_one_of()

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            present_error(error, execution_context)
