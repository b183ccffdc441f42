import strawberry

from social.errors import ErrorCode as DomainErrorCode
from social.errors import FieldError

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")


@strawberry.type
class UserError:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), or null when the error is not about one field."
    )
    code: ErrorCode
    message: str

    @classmethod
    def from_domain(cls, error: FieldError) -> "UserError":
        return cls(field=error.field, code=error.code, message=error.message)
