"""Business failures that services raise and the API turns into payload errors."""

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    TAKEN = "TAKEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"  # noqa: S105 (an error code, not a secret)
    SELF_ACTION = "SELF_ACTION"
    RATE_LIMITED = "RATE_LIMITED"
    SUSPENDED = "SUSPENDED"
    BLOCKED = "BLOCKED"
    TOO_LARGE = "TOO_LARGE"
    UNSUPPORTED_MEDIA = "UNSUPPORTED_MEDIA"


@dataclass(frozen=True)
class FieldError:
    field: str | None
    code: ErrorCode
    message: str


class ValidationFailed(Exception):
    """One or more business rules failed; nothing was written."""

    def __init__(
        self,
        errors: list[FieldError] | None = None,
        *,
        field: str | None = None,
        code: ErrorCode | None = None,
        message: str = "",
    ) -> None:
        if errors is None:
            assert code is not None
            errors = [FieldError(field=field, code=code, message=message)]
        self.errors = errors
        super().__init__("; ".join(e.message for e in errors))


class PermissionDenied(Exception):
    """A signed-in user acted on something that is not theirs."""
