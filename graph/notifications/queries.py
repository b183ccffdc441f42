import strawberry

from graph.context import Info
from graph.errors import bad_user_input
from graph.node import node_loader
from graph.pagination import decode_cursor, page_of, page_size
from graph.permissions import require_viewer_id
from graph.types.notifications import NotificationConnection
from graph.types.selection import selected_post_shape
from notifications.selectors import (
    NotificationView,
    notification_by_id,
    notification_page,
    unread_count,
)

# The cursor kind of the notifications connection, shared by notificationAdded's events.
CURSOR_KIND = "notifications"


@node_loader("Notification")
def _load_notification(info: Info, pk: int) -> NotificationView | None:
    # Only its recipient sees a notification; anyone else gets null, as for a missing one.
    viewer_id = info.context.viewer_id
    if viewer_id is None:
        return None
    return notification_by_id(
        notification_id=pk, recipient_id=viewer_id, shape=selected_post_shape(info, "post")
    )


def notification_cursor_id(after: str) -> int:
    """The notification id in a `notifications` cursor (also notificationAdded's `after`);
    BAD_USER_INPUT for anything else, a well-formed cursor holding a string included."""
    (after_id,) = decode_cursor(CURSOR_KIND, after, 1)
    if not isinstance(after_id, int):
        raise bad_user_input("`after` is not a valid cursor for this list.")
    return after_id


def _key(notification: NotificationView) -> tuple[int]:
    return (notification.id,)


@strawberry.type
class NotificationQuery:
    @strawberry.field(description="The viewer's notifications, newest first. Requires sign-in.")
    def notifications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool | None = False,
    ) -> NotificationConnection:
        viewer_id = require_viewer_id(info)
        size = page_size(first)
        after_id = None if after is None else notification_cursor_id(after)
        views = notification_page(
            recipient_id=viewer_id,
            unread_only=bool(unread_only),
            size=size + 1,
            after_id=after_id,
            shape=selected_post_shape(info, "edges.node.post"),
        )
        page = page_of(views, size, kind=CURSOR_KIND, keys=("-id",), after=after, read=_key)
        return NotificationConnection.build(page)

    @strawberry.field(description="Requires sign-in.")
    def unread_notification_count(self, info: Info) -> int:
        return unread_count(recipient_id=require_viewer_id(info))
