"""Who is calling: a Bearer access token, or else the Django session cookie."""

from django.conf import settings
from django.contrib.auth import get_user
from django.http import HttpRequest

from graph.context import Context
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


def context_for_token(token: str | None, context: Context) -> Context:
    """Fills `context` from a bearer token; a bad token is recorded as `auth_error`."""
    if token is None:
        return context
    try:
        context.viewer_id = access_token_user_id(token=token)
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
