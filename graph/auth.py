"""Who is calling: a Bearer access token, or else the Django session cookie."""

import base64
import json
import time

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpRequest

from graph.context import Context
from social.caches import SizedLRU
from social.services.tokens import InvalidAccessToken, access_token_user_id

INVALID_TOKEN_MESSAGE = "The access token is invalid or expired. Refresh it or sign in again."  # noqa: S105


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` value ("" when malformed)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


# Access tokens already verified under a signing key: (token, key) -> (user id, expiry).
# A client sends the same token with every request until it expires; checking its
# signature and claims again each time was a visible part of a feed page's CPU. Only a
# valid token is kept, and only until its own expiry, so the answer never differs; at most
# ACCESS_TOKEN_CACHE_SIZE of them, the least recently used forgotten first.
_verified: SizedLRU[tuple[str, str], tuple[int, float]] = SizedLRU("ACCESS_TOKEN_CACHE_SIZE")


def _expiry(token: str) -> float:
    """The `exp` claim of a token whose signature was just checked."""
    payload = token.split(".")[1]
    return float(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["exp"])


def token_user_id(token: str) -> int:
    """The user id of a valid access token (raises InvalidAccessToken), checked once per token."""
    key = (token, getattr(settings, "JWT_SIGNING_KEY", None) or settings.SECRET_KEY)
    known = _verified.get(key)
    if known is not None and time.time() < known[1]:
        return known[0]
    user_id = access_token_user_id(token=token)  # raises InvalidAccessToken
    _verified.put(key, (user_id, _expiry(token)))
    return user_id


def context_for_token(token: str | None, context: Context) -> Context:
    """Fills `context` from a bearer token; a bad token is recorded as `auth_error`."""
    if token is None:
        return context
    try:
        context.viewer_id = token_user_id(token)
    except InvalidAccessToken:
        context.auth_error = INVALID_TOKEN_MESSAGE
    return context


def has_session_cookie(request: HttpRequest) -> bool:
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def context_for_request(request: HttpRequest, context: Context) -> Context:
    token = bearer_token(request.headers.get("Authorization"))
    if token is not None:
        return context_for_token(token, context)
    if has_session_cookie(request):
        user = get_user(request)
        if user.is_authenticated and user.is_active:
            context.set_viewer(user)  # type: ignore[arg-type]
    return context
