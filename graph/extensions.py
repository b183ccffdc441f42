"""Schema extensions that apply to every operation."""

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from graph.errors import bad_user_input, unauthenticated
from graph.internals import provided_operation_name

MULTIPLE_OPERATIONS_MESSAGE = (
    "The document holds several operations: name the one to run in `operationName`."
)
UNENCODABLE_TEXT_MESSAGE = (
    "The request holds text that is not valid Unicode (an unpaired surrogate such as "
    "\\ud800): send UTF-8 text."
)


def _encodable(value: Any) -> bool:
    """Whether every string in a variables value can be written as UTF-8."""
    if isinstance(value, str):
        if value.isascii():
            return True
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_encodable(v) for v in value.values())
    if isinstance(value, list):
        return all(_encodable(v) for v in value)
    return True


def _several_operations(document: Any) -> bool:
    definitions = getattr(document, "definitions", ())
    if len(definitions) < 2:
        return False
    return sum(isinstance(d, OperationDefinitionNode) for d in definitions) > 1


class RejectBeforeExecution(SchemaExtension):
    """Requests that must not run get one top-level error and no data.

    A bad bearer token is UNAUTHENTICATED: clients treat that code as "refresh the token
    and retry"; running the operation as anonymous would hide the problem behind null
    fields. A document of several operations without `operationName` is BAD_USER_INPUT
    (the spec's rule; Strawberry would run the first). A variable's text with an unpaired
    surrogate (JSON allows the escape, UTF-8 cannot hold it) is BAD_USER_INPUT rather
    than a database error on whichever write or lookup meets it first (in the document
    itself the parser already refuses one).
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        auth_error = getattr(context.context, "auth_error", None)
        error = None
        if auth_error:
            error = unauthenticated(auth_error)
        elif _several_operations(context.graphql_document) and (
            provided_operation_name(context) is None
        ):
            error = bad_user_input(MULTIPLE_OPERATIONS_MESSAGE)
        elif not _encodable(context.variables):
            error = bad_user_input(UNENCODABLE_TEXT_MESSAGE)
        if error is not None:
            context.result = ExecutionResult(data=None, errors=[error])
        yield
