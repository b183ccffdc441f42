from django.conf import settings
from django.db import models
from django.utils import timezone


class Mute(models.Model):
    """`muter` stops seeing `muted` in feeds (and their notifications, with `notifications`)
    until `expires_at` (never, when null). The rule itself compares `expires_at` with the
    time of the read (social/visibility.py), so an expired row needs no job to end it."""

    # mute_unique_pair leads with it
    muter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notifications = models.BooleanField(default=True)
    # When the current mute began: muting again starts it anew.
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Also the index of every "does the viewer mute this author" probe.
            models.UniqueConstraint(fields=["muter", "muted"], name="mute_unique_pair"),
            models.CheckConstraint(
                condition=~models.Q(muter=models.F("muted")), name="mute_not_self"
            ),
        ]
        indexes = [
            # mutedUsers: the muter's mutes, most recent first
            models.Index(fields=["muter", "-created_at", "-id"], name="mute_muter_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.muter_id} mutes {self.muted_id}"
