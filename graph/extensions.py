"""Schema extensions that apply to every operation."""

from collections.abc import Iterator

from graphql import ExecutionResult
from strawberry.extensions import SchemaExtension

from graph.errors import unauthenticated


class RejectInvalidCredentials(SchemaExtension):
    """A request with a bad bearer token gets one UNAUTHENTICATED error and no data.

    Clients treat that code as "refresh the token and retry"; running the
    operation as anonymous would hide the problem behind null fields.
    """

    def on_execute(self) -> Iterator[None]:
        auth_error = getattr(self.execution_context.context, "auth_error", None)
        if auth_error:
            self.execution_context.result = ExecutionResult(
                data=None, errors=[unauthenticated(auth_error)]
            )
        yield
