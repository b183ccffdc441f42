"""Bearer tokens: a signed short-lived access JWT and a single-use refresh secret.

Refresh tokens are opaque random strings stored only as SHA-256 hashes. Each
exchange marks the presented token used and issues the next one in the same
family; presenting a used token again means it leaked, so the whole family is
revoked (OAuth 2.0 Security BCP, refresh token rotation).
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
from social.models import RefreshToken, User

JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "access"  # noqa: S105 (a claim value, not a secret)


class InvalidAccessToken(Exception):
    """The bearer token is malformed, forged, expired or not an access token."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str


def _signing_key() -> str:
    return getattr(settings, "JWT_SIGNING_KEY", None) or settings.SECRET_KEY


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def access_token_issue(*, user: User, now: datetime | None = None) -> str:
    now = now or timezone.now()
    claims = {
        "sub": str(user.pk),
        "iat": int(now.timestamp()),
        "exp": int((now + settings.ACCESS_TOKEN_TTL).timestamp()),
        "jti": uuid.uuid4().hex,
        "type": ACCESS_TOKEN_TYPE,
    }
    return jwt.encode(claims, _signing_key(), algorithm=JWT_ALGORITHM)


def access_token_user_id(*, token: str) -> int:
    """The user id an access token was issued to; raises InvalidAccessToken."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[JWT_ALGORITHM],
            options={"require": ["sub", "exp", "iat", "jti", "type"]},
        )
        if claims["type"] != ACCESS_TOKEN_TYPE:
            raise InvalidAccessToken("not an access token")
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidAccessToken(str(exc)) from exc


def _refresh_token_create(*, user: User, family: uuid.UUID | None = None) -> str:
    raw = secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        user=user,
        token_hash=_hash(raw),
        family=family or uuid.uuid4(),
        expires_at=timezone.now() + settings.REFRESH_TOKEN_TTL,
    )
    return raw


def token_pair_issue(*, user: User) -> TokenPair:
    """A new login: a fresh refresh-token family."""
    return TokenPair(
        access_token=access_token_issue(user=user),
        refresh_token=_refresh_token_create(user=user),
    )


def _invalid_refresh_token() -> ValidationFailed:
    return ValidationFailed(
        field="refreshToken",
        code=ErrorCode.INVALID_TOKEN,
        message="This refresh token is invalid, expired or already used. Sign in again.",
    )


def token_pair_refresh(*, refresh_token: str) -> tuple[User, TokenPair]:
    """Exchanges a refresh token for a new pair, revoking it."""
    now = timezone.now()
    reused = False
    with transaction.atomic():
        row = (
            RefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(token_hash=_hash(refresh_token))
            .first()
        )
        if row is None or (row.revoked_at is not None and row.used_at is None):
            raise _invalid_refresh_token()
        if row.used_at is not None:
            # A used token came back: whoever holds it stole it, or the family did.
            RefreshToken.objects.filter(family=row.family, revoked_at__isnull=True).update(
                revoked_at=now
            )
            reused = True
        elif row.expires_at <= now or not row.user.is_active:
            raise _invalid_refresh_token()
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            pair = TokenPair(
                access_token=access_token_issue(user=row.user),
                refresh_token=_refresh_token_create(user=row.user, family=row.family),
            )
    if reused:
        # Raised after the revocation committed.
        raise _invalid_refresh_token()
    return row.user, pair


def refresh_token_revoke(*, refresh_token: str, user: User | None = None) -> None:
    """Revokes one refresh token (of `user`, when given)."""
    tokens = RefreshToken.objects.filter(token_hash=_hash(refresh_token), revoked_at__isnull=True)
    if user is not None:
        tokens = tokens.filter(user=user)
    if not tokens.update(revoked_at=timezone.now()):
        raise _invalid_refresh_token()


def refresh_tokens_revoke_all(*, user: User) -> int:
    return RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


PURGE_BATCH = 5_000


def refresh_tokens_purge(*, now: datetime | None = None, batch_size: int = PURGE_BATCH) -> int:
    """Deletes the refresh tokens of every family whose tokens have all expired; the count.

    A family with one live token keeps its used ones: presenting a used token must still
    revoke the family (reuse detection). Deleted in batches, each its own short transaction,
    so a large backlog never holds long locks.
    """
    now = now or timezone.now()
    live_families = RefreshToken.objects.filter(expires_at__gt=now).values("family")
    expired = RefreshToken.objects.filter(expires_at__lte=now).exclude(family__in=live_families)
    purged = 0
    while True:
        with transaction.atomic():
            ids = list(expired.values_list("pk", flat=True)[:batch_size])
            if not ids:
                return purged
            purged += RefreshToken.objects.filter(pk__in=ids).delete()[0]
