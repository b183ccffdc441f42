from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    FOLLOW = "FOLLOW", "followed you"
    LIKE = "LIKE", "liked your post"
    REPLY = "REPLY", "replied to your post"
    MENTION = "MENTION", "mentioned you"
    FOLLOW_REQUEST = "FOLLOW_REQUEST", "asked to follow you"
    FOLLOW_ACCEPTED = "FOLLOW_ACCEPTED", "accepted your follow request"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # notification_recipient_idx leads with it
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    # A deleted post takes the notifications about it along, on every delete path.
    post = models.ForeignKey(
        "social.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # Like-unlike-like must not notify twice.
            models.UniqueConstraint(
                fields=["recipient", "actor", "post"],
                condition=models.Q(kind="LIKE"),
                name="notification_one_like",
            ),
            models.CheckConstraint(
                condition=~models.Q(recipient=models.F("actor")), name="notification_not_self"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notification_recipient_idx"),
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # Has this follower notified this followee lately (NOTIFICATION_REPEAT_WINDOW)?
            models.Index(
                fields=["actor", "recipient", "-created_at"],
                condition=models.Q(kind="FOLLOW"),
                name="notification_follow_pair_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.actor_id} -> {self.recipient_id}"
