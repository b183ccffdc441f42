from django.conf import settings
from django.db import models


class RefreshToken(models.Model):
    """A single-use refresh token, stored only as a SHA-256 hash of its secret.

    Every token issued by rotation belongs to the `session` of the login that began
    it, so presenting a used token can revoke the whole session (reuse detection).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    session = models.ForeignKey(
        "social.Session", on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"RefreshToken {self.pk} of {self.user_id}"
