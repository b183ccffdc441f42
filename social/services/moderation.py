"""What moderators do about reports and accounts; each action is recorded (who, when, what)."""

from django.db import transaction
from django.utils import timezone

from notifications.services import unread_changed_by_actor
from social.errors import ValidationFailed
from social.models import ModeratorAction, Post, Report, User
from social.models.reports import ModeratorActionKind, ReportStatus
from social.services.guards import follow_partners, lock_user_and_partners
from social.services.posts import post_delete
from social.services.sessions import revoke_user_sessions


def _record(
    *,
    moderator: User | None,
    kind: ModeratorActionKind,
    target_id: int,
    report: Report | None = None,
    detail: str = "",
) -> ModeratorAction:
    return ModeratorAction.objects.create(
        moderator=moderator, kind=kind, target_id=target_id, report=report, detail=detail
    )


def _resolve(report: Report, status: ReportStatus) -> None:
    report.status = status
    report.resolved_at = timezone.now()
    report.save(update_fields=["status", "resolved_at"])


def _close(
    report: Report,
    status: ReportStatus,
    *,
    moderator: User,
    kind: ModeratorActionKind,
    target_id: int,
    detail: str = "",
) -> None:
    """Closes the report and records the action that closed it."""
    _resolve(report, status)
    _record(moderator=moderator, kind=kind, target_id=target_id, report=report, detail=detail)


def report_dismiss(*, report: Report, moderator: User) -> None:
    """Closes the report with nothing done to the reported user."""
    with transaction.atomic():
        _close(
            report,
            ReportStatus.DISMISSED,
            moderator=moderator,
            kind=ModeratorActionKind.DISMISS,
            target_id=report.target_id,
        )


def report_remove_posts(*, report: Report, moderator: User) -> list[int]:
    """Deletes the reported posts through `post_delete` (counters and replies as on any
    delete) and closes the report as actioned. Returns the removed posts' ids."""
    removed: list[int] = []
    with transaction.atomic():
        for post in Post.objects.filter(pk__in=report.posts.values("pk")).order_by("pk"):
            try:
                # As its author would: the moderator's right comes from the admin permission.
                removed.append(post_delete(post=post, actor=post.author))
            except ValidationFailed:
                continue  # deleted meanwhile by its author
        _close(
            report,
            ReportStatus.ACTIONED,
            moderator=moderator,
            kind=ModeratorActionKind.REMOVE_POSTS,
            target_id=report.target_id,
            detail="posts " + ", ".join(map(str, removed)) if removed else "no posts left",
        )
    return removed


def user_suspend(*, user: User, moderator: User, report: Report | None = None) -> bool:
    """Suspends the account: it is gone for everyone (social/visibility.py), cannot sign in,
    and is signed out of every session at once on every process. Nothing of it is deleted.
    False when it was suspended already: nothing is done then, but an open `report` about
    it is closed as actioned, and that is recorded."""
    with transaction.atomic():
        # The account with everyone it follows or is followed by, in the global order
        # (social/services/guards.py): where the counters leave out suspended accounts,
        # this updates theirs, and a block or unfollow racing it must wait, not deadlock.
        lock_user_and_partners(user_id=user.pk, partners=lambda: follow_partners(user.pk))
        now = timezone.now()
        if not User.objects.filter(pk=user.pk, suspended_at__isnull=True).update(suspended_at=now):
            # Several reports about one account, selected together or filed after: each
            # leaves the queue with the suspension that answers it.
            if report is not None and (
                Report.objects.select_for_update()
                .filter(pk=report.pk, status=ReportStatus.OPEN)
                .exists()
            ):
                _close(
                    report,
                    ReportStatus.ACTIONED,
                    moderator=moderator,
                    kind=ModeratorActionKind.SUSPEND,
                    target_id=user.pk,
                    detail="already suspended",
                )
            return False
        user.suspended_at = now
        revoke_user_sessions(user_id=user.pk)
        # The notifications it caused are hidden with it: their recipients' counts drop.
        unread_changed_by_actor(actor_id=user.pk)
        if report is not None:
            _resolve(report, ReportStatus.ACTIONED)
        _record(
            moderator=moderator, kind=ModeratorActionKind.SUSPEND, target_id=user.pk, report=report
        )
    return True


def user_unsuspend(*, user: User, moderator: User) -> bool:
    """Brings the account back as it was. False when it was not suspended."""
    with transaction.atomic():
        lock_user_and_partners(user_id=user.pk, partners=lambda: follow_partners(user.pk))
        if not User.objects.filter(pk=user.pk, suspended_at__isnull=False).update(
            suspended_at=None
        ):
            return False
        user.suspended_at = None
        unread_changed_by_actor(actor_id=user.pk)
        _record(moderator=moderator, kind=ModeratorActionKind.UNSUSPEND, target_id=user.pk)
    return True
