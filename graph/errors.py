"""Top-level GraphQL errors with the contract's `extensions.code`, and payload errors."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from graphql import GraphQLError

from social.errors import PermissionDenied, ValidationFailed

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
BAD_USER_INPUT = "BAD_USER_INPUT"
# The most UserErrors a payload carries: the node limit counts a payload's `errors` as this
# many (graph/security/list_bounds.py), so no payload may hold more.
MAX_USER_ERRORS = 100


class CodedError(GraphQLError):
    """A GraphQL error that is part of the API: shown to clients as it is."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def unauthenticated(message: str = "Sign in to do this.") -> CodedError:
    return CodedError(message, UNAUTHENTICATED)


def forbidden(message: str = "You are not allowed to do this.") -> CodedError:
    return CodedError(message, FORBIDDEN)


def bad_user_input(message: str) -> CodedError:
    return CodedError(message, BAD_USER_INPUT)


class HasErrors(Protocol):
    errors: list[Any]


@contextmanager
def payload_errors(payload: HasErrors) -> Iterator[HasErrors]:
    """Business failures become the payload's `errors`; PermissionDenied is FORBIDDEN.

    The payload's object fields are set inside the block, so on failure they stay null.
    """
    from graph.types.common import UserError

    try:
        yield payload
    except ValidationFailed as exc:
        payload.errors = [UserError.from_domain(e) for e in exc.errors[:MAX_USER_ERRORS]]
    except PermissionDenied as exc:
        raise forbidden(str(exc) or "You are not allowed to do this.") from exc
