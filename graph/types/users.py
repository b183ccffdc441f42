from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay

from graph.context import Info
from graph.pagination import Page, keyset_page, page_edges, page_info
from graph.types.common import encoded_global_id, read_field
from graph.types.media import MediaType
from social.media.storage import absolute_url
from social.reads import posts as post_reads
from social.reads import users as user_reads
from social.reads.views import UserView

if TYPE_CHECKING:
    from graph.types.posts import PostConnection


def _user_id(user: UserView) -> str:
    return encoded_global_id("User", user.id)


# A plain strawberry type over UserViews, for basic fields: see PostType.
@strawberry.type(name="User")
class UserType(relay.Node):
    # Explicit, so strawberry does not re-scan the annotations for every node.
    pk: relay.NodeID[int]
    username: str
    display_name: str
    bio: str
    date_joined: datetime
    email: str | None = strawberry.field(
        description="Only the user themself sees their email; null for everyone else."
    )
    email_verified: bool | None = strawberry.field(
        description="Only the user themself sees this; null for everyone else."
    )
    follower_count: int
    following_count: int
    post_count: int
    viewer_follows: bool = strawberry.field(
        description="Whether the signed-in viewer follows this user (false when signed out)."
    )
    follows_viewer: bool = strawberry.field(
        description="Whether this user follows the signed-in viewer (false when signed out)."
    )
    viewer_mutes: bool = strawberry.field(
        description="The viewer muted this user, and the mute has not expired (false when "
        "signed out)."
    )
    viewer_blocks: bool = strawberry.field(
        description="The viewer blocked this user (false when signed out)."
    )
    blocks_viewer: bool = strawberry.field(
        description="This user blocked the viewer (false when signed out)."
    )
    is_locked: bool = strawberry.field(
        description="A locked account approves each follower; "
        "its posts reach approved followers only."
    )
    viewer_follow_requested: bool = strawberry.field(
        description="The viewer asked to follow this locked user and awaits approval."
    )
    avatar: MediaType | None = strawberry.field(
        description="The profile picture, when one was uploaded; avatarUrl is then its "
        "thumbnail's URL."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return type(obj) is UserView

    # relay.Node's own resolver looks the type up in the schema again for every row.
    _id = read_field(
        _user_id, relay.GlobalID, name="id", description="The Globally Unique ID of this object"
    )
    # Views read where no request's origin was known (the live side) hold paths.
    _avatar_url = read_field(
        lambda user: user.avatar_url and absolute_url(user.avatar_url), str | None, name="avatarUrl"
    )

    @strawberry_django.field
    def followers(
        self, root: UserView, info: Info, first: int | None = None, after: str | None = None
    ) -> "UserConnection":
        viewer_id = info.context.viewer_id
        rows = user_reads.follower_rows(user_id=root.id, viewer_id=viewer_id)
        return user_connection(rows, viewer_id, kind="followers", first=first, after=after)

    @strawberry_django.field
    def following(
        self, root: UserView, info: Info, first: int | None = None, after: str | None = None
    ) -> "UserConnection":
        viewer_id = info.context.viewer_id
        rows = user_reads.following_rows(user_id=root.id, viewer_id=viewer_id)
        return user_connection(rows, viewer_id, kind="following", first=first, after=after)

    @strawberry_django.field(description="Newest first.")
    def posts(
        self, root: UserView, info: Info, first: int | None = None, after: str | None = None
    ) -> Annotated["PostConnection", strawberry.lazy("graph.types.posts")]:
        from graph.types.posts import post_connection

        return post_connection(
            info, post_reads.by_user(root.id), kind="posts", first=first, after=after
        )


@strawberry.type(name="UserEdge")
class UserEdge:
    cursor: str
    node: UserType


@strawberry.type(name="UserConnection")
class UserConnection:
    edges: list[UserEdge]
    page_info: relay.PageInfo

    @classmethod
    def build(cls, page: Page[Any], users: list[UserView]) -> "UserConnection":
        """A connection of `users`, one per cursor of `page`."""
        return cls(edges=page_edges(page, UserEdge, users), page_info=page_info(page))


def user_connection(
    rows: QuerySet[Any],
    viewer_id: int | None,
    *,
    kind: str,
    first: int | None,
    after: str | None,
    keys: tuple[str, ...] = user_reads.FOLLOW_ORDER,
) -> UserConnection:
    """A keyset page of user rows (social/reads/users.py) as UserViews."""
    page = keyset_page(
        rows, kind=kind, keys=keys, first=first, after=after, key_values=user_reads.row_keys
    )
    return UserConnection.build(page, [user_reads.view_of(row, viewer_id) for row in page.nodes])


def follow_request_connection(
    info: Info, *, first: int | None, after: str | None
) -> UserConnection:
    """The viewer's pending follow requests' users, oldest first (the viewer is signed in)."""
    viewer_id = info.context.viewer_id
    assert viewer_id is not None
    rows = user_reads.follow_request_rows(user_id=viewer_id, viewer_id=viewer_id)
    return user_connection(
        rows, viewer_id, kind="requests", first=first, after=after, keys=user_reads.REQUEST_ORDER
    )


def search_connection(
    info: Info, query: str, *, first: int | None, after: str | None
) -> UserConnection:
    viewer_id = info.context.viewer_id
    rows = user_reads.search_rows(query=query, viewer_id=viewer_id)
    return user_connection(
        rows, viewer_id, kind="search", first=first, after=after, keys=user_reads.SEARCH_ORDER
    )


def signed_in_user(info: Info) -> UserType | None:
    """The signed-in user as read now (null when signed out): `me`, and a mutation
    payload's `viewer`, for the counts the mutation changed."""
    viewer_id = info.context.viewer_id
    if viewer_id is None:
        return None
    return user_reads.user_view(user_id=viewer_id, viewer_id=viewer_id)  # type: ignore[return-value]
