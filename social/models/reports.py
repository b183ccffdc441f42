"""Reports of users (and some of their posts) to the moderators, and what moderators did."""

from django.conf import settings
from django.db import models
from django.utils import timezone

REPORT_COMMENT_MAX_LENGTH = 1000


class ReportReason(models.TextChoices):
    SPAM = "SPAM", "Spam"
    HARASSMENT = "HARASSMENT", "Harassment"
    HATE = "HATE", "Hate"
    VIOLENCE = "VIOLENCE", "Violence"
    SEXUAL_CONTENT = "SEXUAL_CONTENT", "Sexual content"
    ILLEGAL = "ILLEGAL", "Illegal"
    OTHER = "OTHER", "Other"


class ReportStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    DISMISSED = "DISMISSED", "Dismissed"
    # A moderator acted on it: removed the posts or suspended the account.
    ACTIONED = "ACTIONED", "Actioned"


class Report(models.Model):
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_received"
    )
    reason = models.CharField(max_length=20, choices=ReportReason.choices)
    comment = models.TextField(max_length=REPORT_COMMENT_MAX_LENGTH, blank=True, default="")
    # A removed post leaves the report (its row here goes with the post).
    posts = models.ManyToManyField("social.Post", blank=True, related_name="+")
    status = models.CharField(
        max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The queue: open reports, oldest first; a user's history by either side.
            models.Index(fields=["status", "created_at"], name="report_status_created_idx"),
            models.Index(fields=["target", "-created_at"], name="report_target_idx"),
            models.Index(fields=["reporter", "-created_at"], name="report_reporter_idx"),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk}: {self.reason} against {self.target_id}"


class ModeratorActionKind(models.TextChoices):
    DISMISS = "DISMISS", "Dismissed the report"
    REMOVE_POSTS = "REMOVE_POSTS", "Removed the reported posts"
    SUSPEND = "SUSPEND", "Suspended the account"
    UNSUSPEND = "UNSUSPEND", "Unsuspended the account"


class ModeratorAction(models.Model):
    """Who did what to whom and when; written by the moderation services only."""

    # SET_NULL: the record outlives a moderator's account.
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="moderator_actions",
    )
    kind = models.CharField(max_length=20, choices=ModeratorActionKind.choices)
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="moderation_history"
    )
    report = models.ForeignKey(
        Report, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions"
    )
    # What it touched, e.g. the removed posts' ids.
    detail = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["target", "-created_at"], name="modaction_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.target_id} by {self.moderator_id}"
