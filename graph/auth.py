"""Who is calling: a Bearer access token, or else the Django session cookie.

The credential is decided once, here, and CSRF follows from it: a request that carries
an `Authorization` header (even an empty or malformed one) is judged by that header
alone and never falls back to the cookie; only a request without the header is
authenticated by the session cookie, and only such a request needs a CSRF token. A blank
header (what Apollo's documented auth link sends when signed out) is no credential: the
request runs signed out.
"""

import base64
import json
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpRequest
from graphql import (
    FieldNode,
    GraphQLError,
    NullValueNode,
    OperationType,
    VariableNode,
    get_operation_ast,
)

from graph.context import Context
from social import revocations
from social.caches import SizedLRU
from social.models import User
from social.services.tokens import AccessClaims, InvalidAccessToken, access_token_claims

INVALID_TOKEN_MESSAGE = "The access token is invalid or expired. Refresh it or sign in again."  # noqa: S105
MALFORMED_HEADER_MESSAGE = (
    "The Authorization header must be `Bearer <access token>`; "
    "send no Authorization header to use the session cookie."
)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value: None when blank ("" or
    "Bearer " alone: no credential), "" when malformed."""
    if authorization is None or not authorization.strip():
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip() or None


# Access tokens already verified under a signing key: (token, key) -> (claims, expiry).
# A client sends the same token with every request until it expires; checking its
# signature and claims again each time was a visible part of a feed page's CPU. Only a
# valid token is kept, and only until its own expiry, so the answer never differs; at most
# ACCESS_TOKEN_CACHE_SIZE of them, the least recently used forgotten first.
_verified: SizedLRU[tuple[str, str], tuple[AccessClaims, float]] = SizedLRU(
    "ACCESS_TOKEN_CACHE_SIZE"
)


def _expiry(token: str) -> float:
    """The `exp` claim of a token whose signature was just checked."""
    payload = token.split(".")[1]
    return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


def token_claims(token: str, *, remember: bool = True) -> AccessClaims:
    """The claims of a valid access token of a session still signed in (raises
    InvalidAccessToken). The signature is checked once per token; the session on every
    call, in this process's memory (social/revocations.py), so a sign-out anywhere
    stops the token at once without a query per request. `remember=False` (a socket,
    which presents its token once) reads the cache but adds nothing to it."""
    key = (token, getattr(settings, "JWT_SIGNING_KEY", None) or settings.SECRET_KEY)
    known = _verified.get(key)
    if known is not None and time.time() < known[1]:
        claims = known[0]
    else:
        claims = access_token_claims(token=token)  # raises InvalidAccessToken
        if remember:
            _verified.put(key, (claims, _expiry(token)))
    if revocations.is_revoked(claims.session_key):
        raise InvalidAccessToken("the session is signed out")
    return claims


def token_user_id(token: str) -> int:
    """The user id of a valid access token of a signed-in session (raises InvalidAccessToken)."""
    return token_claims(token).user_id


def context_for_token(token: str | None, context: Context, *, remember: bool = True) -> Context:
    """Fills `context` from a bearer token; a bad token is recorded as `auth_error`."""
    if token is None:
        return context
    try:
        claims = token_claims(token, remember=remember)
    except InvalidAccessToken:
        context.auth_error = INVALID_TOKEN_MESSAGE
        return context
    context.viewer_id = claims.user_id
    context.session_key = claims.session_key
    context.token_expires_at = claims.expires_at
    return context


def has_session_cookie(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def presents_authorization(request: HttpRequest) -> bool:
    """True when the request carries an Authorization header at all (even an empty one)."""
    return "HTTP_AUTHORIZATION" in request.META


def session_user(request: HttpRequest) -> User | None:
    """The active user of the session cookie, for a request without an Authorization header."""
    if presents_authorization(request) or not has_session_cookie(request):
        return None
    # The middleware's request.user is loaded once per request; asked twice (CSRF, context).
    user = request.user if hasattr(request, "user") else get_user(request)
    if user.is_authenticated and user.is_active and not user.is_suspended:  # type: ignore[union-attr]
        return user  # type: ignore[return-value]
    return None


def needs_csrf_check(request: HttpRequest) -> bool:
    """Whether the session cookie authenticates this request, so a forged one must be refused."""
    return session_user(request) is not None


def context_for_request(request: HttpRequest, context: Context) -> Context:
    if presents_authorization(request):
        token = bearer_token(request.META["HTTP_AUTHORIZATION"])
        if token == "":
            context.auth_error = MALFORMED_HEADER_MESSAGE
            return context
        return context_for_token(token, context)  # None (blank): signed out, no cookie
    user = session_user(request)
    if user is not None:
        context.set_viewer(user)
    return context


# The calls an auth link makes with a stale access token still in its headers: each takes
# its credential from its input alone (logout only when given its refresh token), beside
# which only __typename may be asked.
_SIGN_IN_FIELDS = frozenset({"login", "register", "refreshToken", "__typename"})


def _signs_in(field: FieldNode, variables: dict[str, Any]) -> bool:
    name = field.name.value
    if name in _SIGN_IN_FIELDS:
        return True
    if name != "logout":
        return False
    arguments = field.arguments or ()
    given = next((a.value for a in arguments if a.name.value == "refreshToken"), None)
    if isinstance(given, VariableNode):
        return variables.get(given.name.value) is not None
    return given is not None and not isinstance(given, NullValueNode)


def needs_no_caller(document: Any, operation_name: str | None, variables: Any) -> bool:
    """Whether the operation only signs in, refreshes or signs a refresh token out, so a
    bad Authorization header (an expired token, Apollo's empty one when signed out) must
    not refuse it: the header is never read for it, nor the session cookie."""
    try:
        operation = get_operation_ast(document, operation_name)
    except GraphQLError:
        return False
    if operation is None or operation.operation is not OperationType.MUTATION:
        return False
    fields = operation.selection_set.selections
    return all(
        isinstance(field, FieldNode) and not field.directives and _signs_in(field, variables or {})
        for field in fields
    )
