from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from graph.pagination import Page, page_edges, page_info
from graph.types.common import UserError, encoded_global_id, read_field
from graph.types.users import UserType
from notifications.selectors import NotificationView

if TYPE_CHECKING:
    from graph.types.posts import PostType


def _notification_id(notification: NotificationView) -> str:
    return encoded_global_id("Notification", notification.id)


@strawberry.enum(name="NotificationKind")
class NotificationKind(Enum):
    FOLLOW = strawberry.enum_value("FOLLOW", description="actor followed the viewer")
    LIKE = strawberry.enum_value("LIKE", description="actor liked the viewer's post `post`")
    REPLY = strawberry.enum_value(
        "REPLY", description="actor replied to the viewer's post; `post` is the reply"
    )
    MENTION = strawberry.enum_value("MENTION", description="actor mentioned the viewer in `post`")
    FOLLOW_REQUEST = strawberry.enum_value(
        "FOLLOW_REQUEST", description="actor asks to follow the viewer's locked account"
    )
    FOLLOW_ACCEPTED = strawberry.enum_value(
        "FOLLOW_ACCEPTED", description="actor accepted the viewer's request to follow them"
    )


def _kind(notification: NotificationView) -> NotificationKind:
    return NotificationKind(notification.kind)


# A plain strawberry type over NotificationViews: every field is read from the view.
@strawberry.type(name="Notification")
class NotificationType(relay.Node):
    # Explicit, so strawberry does not re-scan the annotations for every node.
    pk: relay.NodeID[int]
    actor: UserType
    post: Annotated["PostType", strawberry.lazy("graph.types.posts")] | None
    created_at: datetime
    read: bool

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return type(obj) is NotificationView

    _id = read_field(
        _notification_id,
        relay.GlobalID,
        name="id",
        description="The Globally Unique ID of this object",
    )
    kind = read_field(_kind, NotificationKind)


@strawberry.type(name="NotificationEdge")
class NotificationEdge:
    cursor: str
    node: NotificationType


@strawberry.type(name="NotificationConnection")
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: relay.PageInfo

    @classmethod
    def build(cls, page: Page[NotificationView]) -> "NotificationConnection":
        return cls(edges=page_edges(page, NotificationEdge), page_info=page_info(page))


@strawberry.type(name="NotificationEvent")
class NotificationEvent:
    cursor: str = strawberry.field(description="Pass this as `after` when reconnecting.")
    notification: NotificationType
    unread_notification_count: int


@strawberry.type(name="MarkReadPayload")
class MarkReadPayload:
    unread_notification_count: int
    errors: list[UserError] = strawberry.field(default_factory=list)
