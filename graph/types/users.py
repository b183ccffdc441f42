from datetime import datetime

import strawberry
import strawberry_django
from strawberry import relay

from graph.context import Info
from social.models import User


@strawberry_django.type(User, name="User")
class UserType(relay.Node):
    pk: relay.NodeID[int]
    username: str
    display_name: str
    bio: str
    avatar_url: str | None
    date_joined: datetime
    follower_count: int
    following_count: int
    post_count: int

    @strawberry.field(
        description="Only the user themself sees their email; null for everyone else."
    )
    def email(self, root: User, info: Info) -> str | None:
        return root.email if info.context.viewer_id == root.pk else None
