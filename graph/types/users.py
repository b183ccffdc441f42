from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from graph.context import Info
from graph.pagination import Page, keyset_page, page_edges, page_info
from graph.types.common import encoded_global_id, read_field
from social.models import Follow, Post, User
from social.selectors.posts import NEWEST_FIRST, PostShape, UserRow, user_posts
from social.selectors.users import (
    FOLLOW_ORDER,
    follower_links,
    following_links,
    user_follows_viewer,
    user_viewer_follows,
)

if TYPE_CHECKING:
    from graph.types.posts import PostConnection


def _user_id(user: User | UserRow) -> str:
    return encoded_global_id("User", user.pk)


# A plain strawberry type over User rows, for basic column fields: see PostType.
@strawberry.type(name="User")
class UserType(relay.Node):
    # Explicit, so strawberry does not re-scan the annotations for every node.
    pk: relay.NodeID[int]
    username: str
    display_name: str
    bio: str
    avatar_url: str | None
    date_joined: datetime
    follower_count: int
    following_count: int
    post_count: int

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, (User, UserRow, cls))

    # relay.Node's own resolver looks the type up in the schema again for every row.
    _id = read_field(
        _user_id, relay.GlobalID, name="id", description="The Globally Unique ID of this object"
    )

    @strawberry.field(
        description="Only the user themself sees their email; null for everyone else."
    )
    def email(self, root: User, info: Info) -> str | None:
        return root.email if info.context.viewer_id == root.pk else None

    @strawberry.field(description="Only the user themself sees this; null for everyone else.")
    def email_verified(self, root: User, info: Info) -> bool | None:
        if info.context.viewer_id != root.pk:
            return None
        return root.email_verified_at is not None

    @strawberry_django.field(
        description="Whether the signed-in viewer follows this user (false when signed out)."
    )
    def viewer_follows(self, root: User, info: Info) -> bool:
        return user_viewer_follows(root, viewer_id=info.context.viewer_id)

    @strawberry_django.field(
        description="Whether this user follows the signed-in viewer (false when signed out)."
    )
    def follows_viewer(self, root: User, info: Info) -> bool:
        return user_follows_viewer(root, viewer_id=info.context.viewer_id)

    @strawberry_django.field
    def followers(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> "UserConnection":
        links = follower_links(user_id=root.pk, viewer_id=info.context.viewer_id)
        return _follow_connection(
            links, kind="followers", side="follower", first=first, after=after
        )

    @strawberry_django.field
    def following(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> "UserConnection":
        links = following_links(user_id=root.pk, viewer_id=info.context.viewer_id)
        return _follow_connection(
            links, kind="following", side="followee", first=first, after=after
        )

    @strawberry_django.field(description="Newest first.")
    def posts(
        self, root: User, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated["PostConnection", strawberry.lazy("graph.types.posts")]:
        from graph.types.posts import post_connection

        return post_connection(
            info,
            _user_posts,
            args=(root.pk, info.context.viewer_id),
            prepared=True,
            kind="posts",
            keys=NEWEST_FIRST,
            first=first,
            after=after,
        )


def _user_posts(shape: PostShape, user_id: int, viewer_id: int | None) -> QuerySet[Post]:
    return user_posts(user_id=user_id, viewer_id=viewer_id, shape=shape)


@strawberry.type(name="UserEdge")
class UserEdge:
    cursor: str
    node: UserType


@strawberry.type(name="UserConnection")
class UserConnection:
    edges: list[UserEdge]
    page_info: relay.PageInfo

    @classmethod
    def build(cls, page: Page[Any], users: list[User] | None = None) -> "UserConnection":
        """A connection of `users` (default: the page's rows), one per cursor of `page`."""
        return cls(edges=page_edges(page, UserEdge, users), page_info=page_info(page))


def _follow_connection(
    links: QuerySet[Follow], *, kind: str, side: str, first: int | None, after: str | None
) -> UserConnection:
    """A page of Follow rows, newest first, shown as the users on their `side`."""
    page = keyset_page(links, kind=kind, keys=FOLLOW_ORDER, first=first, after=after)
    return UserConnection.build(page, [getattr(link, side) for link in page.nodes])
