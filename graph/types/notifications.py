from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
import strawberry_django
from strawberry import relay

from graph.pagination import Page, page_edges, page_info
from graph.types.common import UserError
from graph.types.users import UserType
from notifications.models import Notification

if TYPE_CHECKING:
    from graph.types.posts import PostType


@strawberry.enum(name="NotificationKind")
class NotificationKind(Enum):
    FOLLOW = strawberry.enum_value("FOLLOW", description="actor followed the viewer")
    LIKE = strawberry.enum_value("LIKE", description="actor liked the viewer's post `post`")
    REPLY = strawberry.enum_value(
        "REPLY", description="actor replied to the viewer's post; `post` is the reply"
    )
    MENTION = strawberry.enum_value("MENTION", description="actor mentioned the viewer in `post`")


# Plain strawberry fields: everything they read is fetched with the row (the selectors
# prefetch actor and post), and in a subscription a django field would cost a thread hop.
@strawberry_django.type(Notification, name="Notification")
class NotificationType(relay.Node):
    # Explicit, so strawberry does not re-scan the annotations for every node.
    pk: relay.NodeID[int]
    created_at: datetime

    @strawberry.field
    def kind(self, root: Notification) -> NotificationKind:
        return NotificationKind(root.kind)

    @strawberry.field
    def actor(self, root: Notification) -> UserType:
        return cast(UserType, root.actor)

    @strawberry.field
    def post(
        self, root: Notification
    ) -> Annotated["PostType", strawberry.lazy("graph.types.posts")] | None:
        return cast("PostType | None", root.post)

    @strawberry.field
    def read(self, root: Notification) -> bool:
        return root.read_at is not None


@strawberry.type(name="NotificationEdge")
class NotificationEdge:
    cursor: str
    node: NotificationType


@strawberry.type(name="NotificationConnection")
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: relay.PageInfo

    @classmethod
    def build(cls, page: Page[Notification]) -> "NotificationConnection":
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
