"""Sessions: one per sign-in; signing one out, or every one of a user, at once everywhere."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from notifications.events import publish_sessions_revoked
from social.errors import ErrorCode, ValidationFailed
from social.models import RefreshToken, Session, SessionRevocation, User
from social.models.sessions import USER_AGENT_MAX_LENGTH


def session_start(*, user: User, user_agent: str = "") -> Session:
    return Session.objects.create(user=user, user_agent=user_agent[:USER_AGENT_MAX_LENGTH])


# `sessions` lists at most this many, the most recently used (the node limit counts it:
# graph/security/list_bounds.py); older sign-ins still work and can be signed out together.
MAX_SESSIONS_LISTED = 100


def user_sessions(*, user_id: int) -> QuerySet[Session]:
    """The user's signed-in sessions, most recently used first."""
    alive_since = timezone.now() - settings.REFRESH_TOKEN_TTL
    return Session.objects.filter(
        user_id=user_id, revoked_at__isnull=True, last_used_at__gte=alive_since
    ).order_by("-last_used_at", "-id")


def _revoke(sessions: QuerySet[Session], *, user_id: int, everywhere: bool) -> int:
    """Signs `sessions` out; inside the caller's transaction, published after its commit."""
    now = timezone.now()
    keys = list(sessions.filter(revoked_at__isnull=True).values_list("key", flat=True))
    if keys:
        Session.objects.filter(key__in=keys).update(revoked_at=now)
        RefreshToken.objects.filter(session__key__in=keys, revoked_at__isnull=True).update(
            revoked_at=now
        )
        SessionRevocation.objects.bulk_create(
            [SessionRevocation(key=key, revoked_at=now) for key in keys], ignore_conflicts=True
        )
        # Older rows can no longer match an unexpired access token.
        stale = now - settings.ACCESS_TOKEN_TTL - timedelta(hours=1)
        SessionRevocation.objects.filter(revoked_at__lt=stale).delete()
    publish_sessions_revoked(keys=[str(k) for k in keys], user_id=user_id, everywhere=everywhere)
    return len(keys)


def revoke_user_sessions(*, user_id: int, except_session_id: int | None = None) -> int:
    """Signs the user out of every session (but `except_session_id`) at once on every process:
    their access tokens stop working and their sockets close after the commit. Usable inside
    a caller's transaction (suspension, deactivation, deletion). Returns how many."""
    sessions = Session.objects.filter(user_id=user_id)
    if except_session_id is not None:
        sessions = sessions.exclude(pk=except_session_id)
    with transaction.atomic():
        return _revoke(sessions, user_id=user_id, everywhere=except_session_id is None)


def _session_missing() -> ValidationFailed:
    return ValidationFailed(field="id", code=ErrorCode.NOT_FOUND, message="No such session.")


def session_revoke(*, user: User, session_id: int) -> None:
    """Signs one of the user's own listed sessions out; another user's, or one no longer
    listed (signed out, expired), is NOT_FOUND."""
    with transaction.atomic():
        sessions = user_sessions(user_id=user.pk).filter(pk=session_id)
        if not _revoke(sessions, user_id=user.pk, everywhere=False):
            raise _session_missing()


def session_revoke_by_key(*, key: str, user_id: int) -> int:
    """Signs out the session an access or refresh token belongs to (logout, token reuse)."""
    with transaction.atomic():
        return _revoke(Session.objects.filter(key=key), user_id=user_id, everywhere=False)


def session_touch(*, session: Session) -> None:
    session.last_used_at = timezone.now()
    session.save(update_fields=["last_used_at"])
