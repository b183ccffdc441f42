"""Schema extensions that apply to every operation."""

from collections.abc import Iterator
from typing import Any

from graphql import ExecutionResult, GraphQLError, OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from graph.auth import needs_no_caller
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


def refusal(document: Any, operation_name: str | None, variables: Any) -> GraphQLError | None:
    """Why a parsed request must not run, whatever carries it (HTTP, a socket, a stream):
    several operations and no `operationName`, or variables UTF-8 cannot hold."""
    if operation_name is None and _several_operations(document):
        return bad_user_input(MULTIPLE_OPERATIONS_MESSAGE)
    if not _encodable(variables):
        return bad_user_input(UNENCODABLE_TEXT_MESSAGE)
    return None


class RejectBeforeExecution(SchemaExtension):
    """Requests that must not run get one top-level error and no data.

    A bad bearer token is UNAUTHENTICATED: clients treat that code as "refresh the token
    and retry"; running the operation as anonymous would hide the problem behind null
    fields. The refresh itself, a sign-in and a logout by refresh token run whatever the
    header holds (`needs_no_caller`): an auth link sends its stale token with them too.
    A document of several operations without `operationName` is BAD_USER_INPUT (the
    spec's rule; Strawberry would run the first). A variable's text with an unpaired
    surrogate (JSON allows the escape, UTF-8 cannot hold it) is BAD_USER_INPUT rather
    than a database error on whichever write or lookup meets it first (in the document
    itself the parser already refuses one).
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        auth_error = getattr(context.context, "auth_error", None)
        if auth_error and not needs_no_caller(
            context.graphql_document, provided_operation_name(context), context.variables
        ):
            error: GraphQLError | None = unauthenticated(auth_error)
        else:
            error = refusal(
                context.graphql_document, provided_operation_name(context), context.variables
            )
        if error is not None:
            context.result = ExecutionResult(data=None, errors=[error])
        yield
