import base64
from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.annotation import StrawberryAnnotation
from strawberry.types.field import StrawberryField

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


def encoded_global_id(type_name: str, pk: int) -> str:
    """The global ID of a row as the string a client receives (what relay.GlobalID's str()
    gives), without building the GlobalID on the way: a list shows one per row."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


@strawberry.type
class OkPayload:
    """The answer of a mutation that returns no object: ok, or the reasons it is not."""

    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)
