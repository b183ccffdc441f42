import strawberry

from graph.context import Info
from graph.errors import MAX_USER_ERRORS
from graph.ids import pk_of
from graph.permissions import require_viewer
from graph.types.common import UserError
from graph.types.notifications import MarkReadPayload
from notifications.selectors import unread_count
from notifications.services import notifications_mark_read
from social.errors import ErrorCode

# Each unknown id is one UserError, and a payload holds at most MAX_USER_ERRORS of them.
MARK_READ_MAX_IDS = MAX_USER_ERRORS


def _not_found(value: str) -> UserError:
    return UserError(
        field="ids", code=ErrorCode.NOT_FOUND, message=f"No such notification: {value}."
    )


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(
        description="Marks the given notifications read, or all of the viewer's when ids is null."
    )
    def mark_notifications_read(
        self, info: Info, ids: list[strawberry.ID] | None = None
    ) -> MarkReadPayload:
        viewer = require_viewer(info)
        if ids is not None and len(ids) > MARK_READ_MAX_IDS:
            too_many = UserError(
                field="ids",
                code=ErrorCode.TOO_LONG,
                message=f"Mark at most {MARK_READ_MAX_IDS} notifications at once.",
            )
            return MarkReadPayload(
                unread_notification_count=unread_count(recipient_id=viewer.pk), errors=[too_many]
            )
        errors: list[UserError] = []
        pks: list[int] | None = None
        if ids is not None:
            pks = []
            for value in ids:
                pk = pk_of(value, "Notification")
                if pk is None:
                    errors.append(_not_found(value))
                else:
                    pks.append(pk)
        missing = notifications_mark_read(recipient=viewer, ids=pks)
        by_pk = {pk_of(value, "Notification"): value for value in ids or ()}
        errors.extend(_not_found(by_pk[pk]) for pk in missing)
        return MarkReadPayload(
            unread_notification_count=unread_count(recipient_id=viewer.pk), errors=errors
        )
