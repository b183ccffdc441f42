"""reportUser: a user tells the moderators about another user (the queue is in the admin)."""

import strawberry

from graph.context import Info
from graph.errors import payload_errors
from graph.ids import pk_of
from graph.permissions import require_viewer
from graph.types.common import OkPayload
from social.errors import ErrorCode, ValidationFailed
from social.models import User
from social.models.reports import ReportReason as DomainReportReason
from social.selectors.users import visible_user
from social.services.reports import report_create

ReportReason = strawberry.enum(DomainReportReason, name="ReportReason")


@strawberry.input
class ReportInput:
    user_id: strawberry.ID
    post_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Posts of that user that the report is about (optional)."
    )
    reason: DomainReportReason
    comment: str | None = strawberry.field(default=None, description="At most 1,000 characters.")


def _target(value: strawberry.ID, viewer_id: int) -> User:
    pk = pk_of(value, "User")
    user = None if pk is None else visible_user(user_id=pk, viewer_id=viewer_id)
    if user is None:
        raise ValidationFailed(field="userId", code=ErrorCode.NOT_FOUND, message="No such user.")
    return user


def _post_pks(values: list[strawberry.ID] | None) -> list[int]:
    pks = [pk_of(value, "Post") for value in values or []]
    if None in pks:
        raise ValidationFailed(
            field="postIds", code=ErrorCode.INVALID, message="Choose posts of the reported user."
        )
    return [pk for pk in pks if pk is not None]


@strawberry.type
class ReportMutation:
    @strawberry.mutation(description="Reports reach the moderators' queue (Django admin).")
    def report_user(self, info: Info, input: ReportInput) -> OkPayload:
        viewer = require_viewer(info)
        payload = OkPayload()
        with payload_errors(payload):
            target = _target(input.user_id, viewer.pk)
            report_create(
                reporter=viewer,
                target=target,
                reason=DomainReportReason(input.reason),
                post_ids=_post_pks(input.post_ids),
                comment=input.comment,
            )
            payload.ok = True
        return payload
