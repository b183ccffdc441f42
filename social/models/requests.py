from django.conf import settings
from django.db import models


class FollowRequest(models.Model):
    """`requester` asks to follow the locked account `target`; it awaits the target's answer.

    A request exists only while the target is locked and the requester does not follow
    them: accepting turns it into a Follow, unlocking accepts them all."""

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="follow_requests_sent",
        db_index=False,  # follow_request_unique leads with it
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="follow_requests",
        db_index=False,  # follow_request_target_idx leads with it
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requester", "target"], name="follow_request_unique"),
            models.CheckConstraint(
                condition=~models.Q(requester=models.F("target")), name="follow_request_not_self"
            ),
        ]
        indexes = [
            # followRequests: a user's pending requests, oldest first
            models.Index(fields=["target", "created_at", "id"], name="follow_request_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.requester_id} ?> {self.target_id}"
