"""Reports: a user tells the moderators about another user, and maybe some of their posts."""

from collections.abc import Collection

from django.db import transaction

from social.errors import ErrorCode, FieldError, ValidationFailed
from social.models import Post, Report, User
from social.models.reports import REPORT_COMMENT_MAX_LENGTH, ReportReason
from social.visibility import posts_q

# More than a moderator would read; bounds the work one report can ask for.
REPORT_POSTS_MAX = 50


def _post_errors(*, reporter: User, target: User, post_ids: Collection[int]) -> list[FieldError]:
    if len(post_ids) > REPORT_POSTS_MAX:
        message = f"Choose at most {REPORT_POSTS_MAX} posts."
        return [FieldError("postIds", ErrorCode.INVALID, message)]
    # Locked: a post deleted meanwhile cannot fail the report's insert after this check.
    # A block either way is set aside: blocking whoever one reports, before or after, is
    # the usual way, and the posts seen before it are still theirs to report.
    found = Post.objects.select_for_update(of=("self",)).filter(
        posts_q(viewer_id=reporter.pk, blocks=False), pk__in=post_ids, author_id=target.pk
    )
    if len(found.values_list("pk", flat=True)) != len(post_ids):
        return [FieldError("postIds", ErrorCode.INVALID, "Choose posts of the reported user.")]
    return []


def report_create(
    *,
    reporter: User,
    target: User,
    reason: str,
    post_ids: Collection[int] = (),
    comment: str | None = None,
) -> Report:
    """Files a report in the moderators' queue; every rule checked before anything is written."""
    if target.pk == reporter.pk:
        raise ValidationFailed(
            field="userId", code=ErrorCode.SELF_ACTION, message="You cannot report yourself."
        )
    comment = (comment or "").strip()
    unique_post_ids = set(post_ids)
    errors: list[FieldError] = []
    if reason not in ReportReason.values:
        errors.append(FieldError("reason", ErrorCode.INVALID, "Choose a reason."))
    if len(comment) > REPORT_COMMENT_MAX_LENGTH:
        message = f"Use at most {REPORT_COMMENT_MAX_LENGTH:,} characters."
        errors.append(FieldError("comment", ErrorCode.TOO_LONG, message))
    elif "\x00" in comment:
        # PostgreSQL text cannot hold NUL; refused as posts' bodies are.
        errors.append(
            FieldError("comment", ErrorCode.INVALID, "The text contains a NUL character.")
        )
    with transaction.atomic():
        if unique_post_ids:
            errors += _post_errors(reporter=reporter, target=target, post_ids=unique_post_ids)
        if errors:
            raise ValidationFailed(errors)
        report = Report.objects.create(
            reporter=reporter, target=target, reason=reason, comment=comment
        )
        if unique_post_ids:
            report.posts.set(unique_post_ids)
    return report
