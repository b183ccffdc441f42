import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

USER_AGENT_MAX_LENGTH = 512


class Session(models.Model):
    """One sign-in: the refresh tokens issued from one login, and the access tokens made
    from them (which carry `key` as their `sid` claim)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions"
    )
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    # Sign-in and each refresh; not every request (that would be a write per request).
    last_used_at = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField(max_length=USER_AGENT_MAX_LENGTH, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "-last_used_at"], name="session_user_used_idx"),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} of {self.user_id}"


class SessionRevocation(models.Model):
    """A session signed out while its access tokens may still be unexpired.

    No foreign key: it outlives the session and the user (account deletion), since a
    process that starts reads the recent ones to refuse those tokens (social/revocations.py).
    Rows older than ACCESS_TOKEN_TTL are purged as new ones are written.
    """

    key = models.UUIDField(primary_key=True)
    revoked_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"Revoked {self.key}"
