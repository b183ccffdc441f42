"""Bearer tokens: a signed short-lived access JWT and a single-use refresh secret.

Refresh tokens are opaque random strings stored only as SHA-256 hashes. Each
exchange marks the presented token used and issues the next one in the same
session; presenting a used token again means it leaked, so the whole session is
revoked (OAuth 2.0 Security BCP, refresh token rotation). Access tokens name their
session (`sid`), so signing a session out stops them at once (social/revocations.py).
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from social.errors import ErrorCode, ValidationFailed
from social.models import RefreshToken, Session, User
from social.services.sessions import session_revoke_by_key, session_start, session_touch

JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 (a claim value, not a secret)


class InvalidAccessToken(Exception):
    """The bearer token is malformed, forged, expired or not an access token."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: int
    session_key: str
    expires_at: float


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


def _signing_key() -> str:
    return getattr(settings, "JWT_SIGNING_KEY", None) or settings.SECRET_KEY


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def access_token_issue(
    *, user: User, session: Session | None = None, now: datetime | None = None
) -> str:
    """An access token of `session`. The services always pass one; without it (tests,
    benchmarks) the token names a session of its own that is stored nowhere."""
    now = now or timezone.now()
    claims = {
        "sub": str(user.pk),
        "sid": str(session.key if session is not None else uuid.uuid4()),
        "iat": int(now.timestamp()),
        "exp": int((now + settings.ACCESS_TOKEN_TTL).timestamp()),
        "jti": uuid.uuid4().hex,
        "type": ACCESS_TOKEN_TYPE,
    }
    return jwt.encode(claims, _signing_key(), algorithm=JWT_ALGORITHM)


def access_token_claims(*, token: str) -> AccessClaims:
    """Who an access token was issued to, in which session, until when; raises
    InvalidAccessToken. Whether the session is still signed in is not checked here."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "sid", "exp", "iat", "jti", "type"]},
        )
        if claims["type"] != ACCESS_TOKEN_TYPE or not isinstance(claims["sid"], str):
            raise InvalidAccessToken("not an access token")
        return AccessClaims(
            user_id=int(claims["sub"]),
            session_key=claims["sid"],
            expires_at=float(claims["exp"]),
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidAccessToken(str(exc)) from exc


def access_token_user_id(*, token: str) -> int:
    """The user id an access token was issued to; raises InvalidAccessToken."""
    return access_token_claims(token=token).user_id


def _refresh_token_create(*, user: User, session: Session) -> str:
    raw = secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        user=user,
        token_hash=_hash(raw),
        session=session,
        expires_at=timezone.now() + settings.REFRESH_TOKEN_TTL,
    )
    return raw


def token_pair_issue(*, user: User, user_agent: str = "") -> TokenPair:
    """A new sign-in: a new session."""
    with transaction.atomic():
        session = session_start(user=user, user_agent=user_agent)
        return TokenPair(
            access_token=access_token_issue(user=user, session=session),
            refresh_token=_refresh_token_create(user=user, session=session),
        )


def _invalid_refresh_token() -> ValidationFailed:
    return ValidationFailed(
        field="refreshToken",
        code=ErrorCode.INVALID_TOKEN,
        message="This refresh token is invalid, expired or already used. Sign in again.",
    )


def token_pair_refresh(*, refresh_token: str) -> tuple[User, TokenPair]:
    """Exchanges a refresh token for a new pair of the same session, revoking it."""
    now = timezone.now()
    reused = False
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update()
            .select_related("user", "session")
            .filter(token_hash=_hash(refresh_token))
            .first()
        )
        if row is None or (row.revoked_at is not None and row.used_at is None):
            raise _invalid_refresh_token()
        if row.used_at is not None:
            # A used token came back: whoever holds it stole it, or the session did.
            session_revoke_by_key(key=str(row.session.key), user_id=row.user_id)
            reused = True
        elif (
            row.expires_at <= now
            or not row.user.is_active
            or row.user.suspended_at is not None
            or row.session.revoked_at
        ):
            raise _invalid_refresh_token()
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            session_touch(session=row.session)
            pair = TokenPair(
                access_token=access_token_issue(user=row.user, session=row.session),
                refresh_token=_refresh_token_create(user=row.user, session=row.session),
            )
    if reused:
        # Raised after the revocation committed.
        raise _invalid_refresh_token()
    return row.user, pair


def refresh_token_revoke(*, refresh_token: str, user: User | None = None) -> None:
    """Signs out the session of one refresh token (of `user`, when given)."""
    tokens = RefreshToken.objects.filter(token_hash=_hash(refresh_token), revoked_at__isnull=True)
    if user is not None:
        tokens = tokens.filter(user=user)
    row = tokens.select_related("session").first()
    if row is None:
        raise _invalid_refresh_token()
    session_revoke_by_key(key=str(row.session.key), user_id=row.user_id)


PURGE_BATCH = 5_000


def refresh_tokens_purge(*, now: datetime | None = None, batch_size: int = PURGE_BATCH) -> int:
    """Deletes the refresh tokens of every sign-in whose tokens have all expired; the count.

    A session with one live token keeps its used ones: presenting a used token must still
    sign the session out (reuse detection). Deleted in batches, each its own short transaction,
    so a large backlog never holds long locks.
    """
    now = now or timezone.now()
    live_sessions = RefreshToken.objects.filter(expires_at__gt=now).values("session")
    expired = RefreshToken.objects.filter(expires_at__lte=now).exclude(session__in=live_sessions)
    purged = 0
    while True:
        with transaction.atomic():
            ids = list(expired.values_list("pk", flat=True)[:batch_size])
            if not ids:
                return purged
            purged += RefreshToken.objects.filter(pk__in=ids).delete()[0]
