from datetime import datetime
from typing import cast

import strawberry
import strawberry_django
from strawberry import relay

from graph.context import Info
from graph.pagination import Page, keyset_page, page_info
from graph.types.users import UserType
from social.models import Post
from social.selectors.posts import (
    OLDEST_FIRST,
    post_hashtags,
    post_mentions,
    post_replies,
    post_viewer_has_liked,
)


@strawberry_django.type(Post, name="Post")
class PostType(relay.Node):
    # Explicit, so strawberry does not re-scan the annotations for every node.
    pk: relay.NodeID[int]
    body: str
    created_at: datetime
    edited_at: datetime | None = strawberry_django.field(
        description="Set when the body was edited after publication."
    )
    reply_count: int
    like_count: int

    @strawberry_django.field
    def author(self, root: Post) -> UserType:
        # Joined in by the selectors; a bare instance costs one query.
        return cast(UserType, root.author)

    @strawberry_django.field(
        description="The post this one replies to; null for a top-level post or when that "
        "post was deleted."
    )
    def reply_to(self, root: Post) -> "PostType | None":
        if root.reply_to_id is None:
            return None
        return cast(PostType, root.reply_to)

    @strawberry_django.field(description="Oldest first, so a thread reads top to bottom.")
    def replies(
        self, root: Post, info: Info, first: int | None = None, after: str | None = None
    ) -> "PostConnection":
        page = keyset_page(
            post_replies(post_id=root.pk, viewer_id=info.context.viewer_id),
            kind="replies",
            keys=OLDEST_FIRST,
            first=first,
            after=after,
        )
        return PostConnection.build(page)

    @strawberry_django.field
    def viewer_has_liked(self, root: Post, info: Info) -> bool:
        return post_viewer_has_liked(root, viewer_id=info.context.viewer_id)

    @strawberry_django.field(
        description="Users named as @username in the body who exist, in order of appearance."
    )
    def mentions(self, root: Post) -> list[UserType]:
        return cast(list[UserType], post_mentions(root))

    @strawberry_django.field(
        description="Tags written as #tag in the body, lower-cased, without '#', in order of "
        "appearance."
    )
    def hashtags(self, root: Post) -> list[str]:
        return post_hashtags(root)


@strawberry.type(name="PostEdge")
class PostEdge:
    cursor: str
    node: PostType


@strawberry.type(name="PostConnection")
class PostConnection:
    edges: list[PostEdge]
    page_info: relay.PageInfo

    @classmethod
    def build(cls, page: Page[Post]) -> "PostConnection":
        return cls(
            edges=[
                PostEdge(cursor=cursor, node=cast(PostType, post))
                for cursor, post in zip(page.cursors, page.nodes, strict=True)
            ],
            page_info=page_info(page),
        )
