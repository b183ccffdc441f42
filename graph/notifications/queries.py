from typing import cast

import strawberry

from graph.context import Info
from graph.node import node_loader
from graph.pagination import keyset_page
from graph.permissions import require_viewer_id
from graph.types.notifications import NotificationConnection, NotificationType
from notifications.selectors import (
    NEWEST_FIRST,
    notification_by_id,
    notifications_for,
    unread_count,
)

# The cursor kind of the notifications connection, shared by notificationAdded's events.
CURSOR_KIND = "notifications"


@node_loader("Notification")
def _load_notification(info: Info, pk: int) -> NotificationType | None:
    # Only its recipient sees a notification; anyone else gets null, as for a missing one.
    viewer_id = info.context.viewer_id
    if viewer_id is None:
        return None
    return cast(
        NotificationType | None, notification_by_id(notification_id=pk, recipient_id=viewer_id)
    )


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
        page = keyset_page(
            notifications_for(recipient_id=viewer_id, unread_only=bool(unread_only)),
            kind=CURSOR_KIND,
            keys=NEWEST_FIRST,
            first=first,
            after=after,
        )
        return NotificationConnection.build(page)

    @strawberry.field(description="Requires sign-in.")
    def unread_notification_count(self, info: Info) -> int:
        return unread_count(recipient_id=require_viewer_id(info))
