"""A schema extension that measures each GraphQL operation for /metrics and the logs."""

import time
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from observability.metrics import GRAPHQL_ERRORS, GRAPHQL_REQUEST_SECONDS

# Errors without an extensions.code (none should reach a client, but count them).
UNCODED = "UNCODED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
BAD_USER_INPUT = "BAD_USER_INPUT"
# Anonymous operations share one label, so a client cannot grow the label set.
ANONYMOUS = "anonymous"
OTHER = "other"
# A client chooses operation names: a name becomes a label only once an operation of that
# name has succeeded (a probe's failing names stay "other"), and past METRICS_MAX_OPERATION_NAMES
# distinct ones, new names count as "other" so the metrics cannot grow without bound. Not an
# LRU: a label forgotten would drop its series from /metrics.
_seen_names: set[str] = set()


def operation_label(name: str | None, *, succeeded: bool = False) -> str:
    """The metric label of an operation name; `succeeded` lets a new name become one."""
    if not name:
        return ANONYMOUS
    name = name[:100]
    if name in _seen_names:
        return name
    if not succeeded or len(_seen_names) >= settings.METRICS_MAX_OPERATION_NAMES:
        return OTHER
    _seen_names.add(name)
    return name


def error_code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    return str(code) if code else UNCODED


def raised_code(error: BaseException) -> str:
    """The code the client sees for an exception that escaped the operation's hooks."""
    if isinstance(error, GraphQLSyntaxError):
        return BAD_USER_INPUT
    if isinstance(error, GraphQLError) and (error.extensions or {}).get("code"):
        return error_code(error)
    return INTERNAL_SERVER_ERROR


def operation_type_name(execution_context: Any) -> str:
    try:
        operation_type = execution_context.operation_type
    except Exception:  # an unparsable document has no operation type
        return "unknown"
    return operation_type.value if isinstance(operation_type, OperationType) else "unknown"


class OperationMetrics(SchemaExtension):
    """Latency per operation name and type, errors by code; notes the operation on the request.

    The request log middleware reads `graphql_operation_name`, `graphql_operation_type`
    and `graphql_viewer_id` from the Django request, so its line names the operation.
    """

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        raised: BaseException | None = None
        try:
            yield
        except BaseException as error:
            # Strawberry turns an exception from another extension into one error; on the sync
            # path a syntax error from ParserCache's hook arrives here this way too.
            raised = error
            raise
        finally:
            self._record(time.perf_counter() - started, raised)

    def _record(self, elapsed: float, raised: BaseException | None) -> None:
        ec = self.execution_context
        result = ec.result
        errors = list(getattr(result, "errors", None) or ec.pre_execution_errors or [])
        kind = operation_type_name(ec)
        # A subscription's result is its stream, not one answer: no error so far is success.
        answered = result is not None or kind == OperationType.SUBSCRIPTION.value
        name = operation_label(ec.operation_name, succeeded=answered and not raised and not errors)
        # A subscription lives as long as its socket: its duration is not a latency.
        if kind != OperationType.SUBSCRIPTION.value:
            GRAPHQL_REQUEST_SECONDS.labels(operation_name=name, operation_type=kind).observe(
                elapsed
            )
        codes = [error_code(error) for error in errors]
        if raised is not None and not codes:
            codes = [raised_code(raised)]
        for code in codes:
            GRAPHQL_ERRORS.labels(code=code).inc()
        context = ec.context
        request = getattr(context, "request", None)
        if request is not None:
            request.graphql_operation_name = name
            request.graphql_operation_type = kind
            request.graphql_viewer_id = getattr(context, "viewer_id", None)
            request.graphql_error_codes = sorted(set(codes))
