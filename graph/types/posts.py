from datetime import datetime
from typing import Any

import strawberry
import strawberry_django
from strawberry import relay

from graph.context import Info
from graph.errors import bad_user_input
from graph.pagination import Page, decode_cursor, page_edges, page_info, page_of, page_size
from graph.types.common import encoded_global_id, read_field
from graph.types.media import MediaType
from graph.types.selection import selected_post_shape
from graph.types.users import UserType
from social.reads import posts as post_reads
from social.reads.views import PostView


def _post_id(post: PostView) -> str:
    return encoded_global_id("Post", post.id)


# A plain strawberry type over PostViews: every field but `id` and `replies` is a basic
# field (read with getattr, no Info, no per-field wrapper), the cheapest path of a field;
# a feed page reads ~100 of them.
@strawberry.type(name="Post")
class PostType(relay.Node):
    # Explicit, so strawberry does not re-scan the annotations for every node.
    pk: relay.NodeID[int]
    author: UserType
    body: str
    created_at: datetime
    edited_at: datetime | None = strawberry.field(
        description="Set when the body was edited after publication."
    )
    reply_to: "PostType | None" = strawberry.field(
        description="The post this one replies to; null for a top-level post or when that "
        "post was deleted."
    )
    reply_count: int
    like_count: int
    viewer_has_liked: bool
    mentions: list[UserType] = strawberry.field(
        description="Users named as @username in the body who exist, in order of appearance."
    )
    hashtags: list[str] = strawberry.field(
        description="Tags written as #tag in the body, lower-cased, without '#', in order of "
        "appearance."
    )
    media: list[MediaType] = strawberry.field(
        description="Attached images, in the order given at creation (at most 4)."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return type(obj) is PostView

    # relay.Node's own resolver looks the type up in the schema again for every row.
    _id = read_field(
        _post_id, relay.GlobalID, name="id", description="The Globally Unique ID of this object"
    )

    @strawberry_django.field(description="Oldest first, so a thread reads top to bottom.")
    def replies(
        self, root: PostView, info: Info, first: int | None = None, after: str | None = None
    ) -> "PostConnection":
        return post_connection(
            info, post_reads.replies_to(root.id), kind="replies", first=first, after=after
        )


@strawberry.type(name="PostEdge")
class PostEdge:
    cursor: str
    node: PostType


@strawberry.type(name="PostConnection")
class PostConnection:
    edges: list[PostEdge]
    page_info: relay.PageInfo

    @classmethod
    def build(cls, page: Page[Any]) -> "PostConnection":
        return cls(edges=page_edges(page, PostEdge), page_info=page_info(page))


_CURSOR_KEYS = ("created_at", "id")


def _cursor_of(post: PostView) -> tuple[datetime, int]:
    return post.created_at, post.id


def post_connection(
    info: Info, source: post_reads.Source, *, kind: str, first: int | None, after: str | None
) -> PostConnection:
    """A keyset page of `source` as the viewer sees it, with what the connection's
    selection reads of each post (fragments included) and nothing else."""
    size = page_size(first)
    cursor = None
    if after is not None:
        try:
            cursor = post_reads.cursor_values(decode_cursor(kind, after, len(_CURSOR_KEYS)))
        except (ValueError, TypeError, OverflowError) as exc:
            raise bad_user_input("`after` is not a valid cursor for this list.") from exc
    views = post_reads.post_page(
        source=source,
        viewer_id=info.context.viewer_id,
        shape=selected_post_shape(info, "edges.node"),
        size=size + 1,
        after=cursor,
    )
    return PostConnection.build(
        page_of(views, size, kind=kind, keys=_CURSOR_KEYS, after=after, read=_cursor_of)
    )
