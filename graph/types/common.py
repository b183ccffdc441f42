import strawberry

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
