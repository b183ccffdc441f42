"""Rate limits on root mutations, checked before their resolver runs.

A limited call returns the mutation's own payload with one RATE_LIMITED error and
writes nothing, as the contract asks of every business failure.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from strawberry.extensions import FieldExtension
from strawberry.types.base import has_object_definition
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from config.client_address import limit_key_address, request_limit_key_address
from graph.context import Context, Info
from social.errors import ErrorCode
from social.ratelimits import limit_hit

RATE_LIMITED_MESSAGE = "Too many requests. Wait a minute and try again."


@dataclass(frozen=True)
class MutationLimit:
    scope: str
    # The name of the setting that holds the rate, e.g. "60/m".
    setting: str
    # Whose budget a call spends: the signed-in "user" or the client "address".
    per: str


WRITES = MutationLimit("writes", "RATELIMIT_WRITES", "user")
REGISTRATIONS = MutationLimit("registrations", "RATELIMIT_REGISTRATIONS", "address")
REPORTS = MutationLimit("reports", "RATELIMIT_REPORTS", "user")
UPLOADS = MutationLimit("uploads", "RATELIMIT_UPLOADS", "user")

# Root mutations by GraphQL name. Login is limited on failures only, in its service.
MUTATION_LIMITS: dict[str, MutationLimit] = {
    "register": REGISTRATIONS,
    "createPost": WRITES,
    "editPost": WRITES,
    "deletePost": WRITES,
    "likePost": WRITES,
    "unlikePost": WRITES,
    "followUser": WRITES,
    "unfollowUser": WRITES,
    "updateProfile": WRITES,
    # Each checks a password or sends a mail: guesses and mail floods spend the budget.
    "changePassword": WRITES,
    "changeEmail": WRITES,
    "deleteAccount": WRITES,
    "requestEmailVerification": WRITES,
    "revokeSession": WRITES,
    # Its own budget: a report costs a moderator's time, not just a row.
    "reportUser": REPORTS,
    # Its own budget: an upload costs CPU and storage, not just a row.
    "uploadMedia": UPLOADS,
}


def client_address(context: Context) -> str | None:
    """The caller's IP (config/client_address.py), an IPv6 client counted per /64."""
    forwarded = ""
    remote = ""
    if context.request is not None:
        return request_limit_key_address(context.request)
    if context.ws is not None:
        scope = getattr(context.ws, "scope", {}) or {}
        headers = dict(scope.get("headers") or ())
        forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
        remote = (scope.get("client") or ("",))[0] or ""
    return limit_key_address(forwarded=forwarded, remote=remote)


def _empty_payload(payload_type: Any) -> Any:
    try:
        return payload_type()
    except TypeError:
        # A payload whose object field has no default: every field null.
        fields = payload_type.__strawberry_definition__.fields
        return payload_type(**{f.python_name: None for f in fields if f.python_name != "errors"})


class RateLimit(FieldExtension):
    def __init__(self, limit: MutationLimit) -> None:
        self.limit = limit

    def apply(self, field: StrawberryField) -> None:
        # The field's payload type is what a limited call returns.
        self.field = field

    def _key(self, context: Context) -> str | None:
        if self.limit.per == "user":
            # Signed out: the resolver answers UNAUTHENTICATED and writes nothing.
            return None if context.viewer_id is None else f"user:{context.viewer_id}"
        address = client_address(context)
        return None if address is None else f"address:{address}"

    def _limited_payload(self, info: Info) -> Any | None:
        key = self._key(info.context)
        rate = getattr(settings, self.limit.setting)
        if key is None or not limit_hit(scope=self.limit.scope, key=key, rate=rate):
            return None
        from graph.types.common import UserError

        payload = _empty_payload(self.field.type)
        payload.errors = [
            UserError(field=None, code=ErrorCode.RATE_LIMITED, message=RATE_LIMITED_MESSAGE)
        ]
        return payload

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        limited = self._limited_payload(info)
        if limited is not None:
            return limited
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        limited = await sync_to_async(self._limited_payload)(info)
        if limited is not None:
            return limited
        return await next_(source, info, **kwargs)


def apply_rate_limits(mutation: type) -> type:
    """Attaches the limit of MUTATION_LIMITS to each of `mutation`'s fields; before Schema()."""
    assert has_object_definition(mutation)
    for field in mutation.__strawberry_definition__.fields:
        name = field.graphql_name or to_camel_case(field.python_name)
        limit = MUTATION_LIMITS.get(name)
        if limit is not None and not any(isinstance(e, RateLimit) for e in field.extensions):
            field.extensions.append(RateLimit(limit))
    return mutation
