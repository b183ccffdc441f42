from django.conf import settings
from django.db import models


class Block(models.Model):
    """`blocker` blocked `blocked`: neither sees the other's posts, nor can follow, like or
    reply to the other (social/visibility.py, social/services/blocks.py)."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="blocking_links",
        db_index=False,  # block_unique_pair leads with it
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="blocked_by_links",
        db_index=False,  # block_blocked_idx leads with it
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        constraints = [
            # Also the index of "did the viewer block this user" (blocker first).
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_unique_pair"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="block_not_self"
            ),
        ]
        indexes = [
            # "did this user block the viewer", and the blocker's list, newest first
            models.Index(fields=["blocked", "blocker"], name="block_blocked_idx"),
            models.Index(fields=["blocker", "-created_at", "-id"], name="block_blocker_list_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"
