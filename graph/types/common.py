import base64
from collections.abc import Callable
from typing import Any

import strawberry
from asgiref.sync import sync_to_async
from strawberry.annotation import StrawberryAnnotation
from strawberry.types.field import StrawberryField
from strawberry.utils.inspect import in_async_context
from strawberry_django.resolvers import resolving_async

from social.errors import ErrorCode as DomainErrorCode
from social.errors import FieldError

# Registers the domain enum itself, so services and the schema share one ErrorCode.
ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")


@strawberry.type
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), or null when the error is not "
        "about one field."
    )
    code: DomainErrorCode
    message: str

    @classmethod
    def from_domain(cls, error: FieldError) -> "UserError":
        return cls(field=error.field, code=error.code, message=error.message)


class _ReadField(StrawberryField):
    """A field read from its object alone by `read(object)`."""

    def __init__(self, read: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._read = read

    def get_result(self, source: Any, info: Any, args: list[Any], kwargs: Any) -> Any:
        return self._read(source)


def read_field(
    read: Callable[[Any], Any],
    graphql_type: Any,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Any:
    """A field of `graphql_type` computed from its object alone (no Info, no arguments):
    Strawberry resolves it as a basic field, which skips the Info object, the argument
    parsing and the resolver wrappers that a field with a resolver pays on every row of a
    list. Assign it without an annotation: the field then keeps its place among the
    resolvers in the schema."""
    return _ReadField(
        read,
        graphql_name=name,
        description=description,
        type_annotation=StrawberryAnnotation(graphql_type),
        default=None,
    )


def maybe_in_thread(read: Callable[[Any], Any], obj: Any, *, loaded: bool) -> Any:
    """`read(obj)`; from async code (a subscription), in a thread unless `loaded` says it
    needs no query, as strawberry_django's fields do, since the ORM refuses to run there."""
    if loaded or resolving_async.get() or not in_async_context():
        return read(obj)
    return sync_to_async(read)(obj)


def encoded_global_id(type_name: str, pk: int) -> str:
    """The global ID of a row as the string a client receives (what relay.GlobalID's str()
    gives), without building the GlobalID on the way: a list shows one per row."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


@strawberry.type
class OkPayload:
    """The answer of a mutation that returns no object: ok, or the reasons it is not."""

    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)
