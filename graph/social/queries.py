from typing import cast

import strawberry
import strawberry_django
from django.db.models import QuerySet

from graph.context import Info
from graph.ids import pk_of
from graph.node import node_loader
from graph.pagination import keyset_page
from graph.permissions import require_viewer_id
from graph.types.posts import PostConnection, PostType, post_connection
from graph.types.users import UserConnection
from social.models import Post
from social.selectors.posts import (
    HASHTAG_FEED_ORDER,
    NEWEST_FIRST,
    PostShape,
    hashtag_feed,
    home_feed,
    post_by_id,
    public_feed,
)
from social.selectors.users import SEARCH_ORDER, search_users


@node_loader("Post")
def _load_post(info: Info, pk: int) -> PostType | None:
    return cast(PostType | None, post_by_id(post_id=pk, viewer_id=info.context.viewer_id))


# The feeds as functions of the shape and of ids only, for prepared pages (post_connection).
def _home_feed(shape: PostShape, viewer_id: int) -> QuerySet[Post]:
    return home_feed(viewer_id=viewer_id, shape=shape)


def _public_feed(shape: PostShape, viewer_id: int | None) -> QuerySet[Post]:
    return public_feed(viewer_id=viewer_id, shape=shape)


@strawberry.type
class SocialQuery:
    @strawberry_django.field(
        description="Case-insensitive match on username or display name, best matches first."
    )
    def search_users(
        self, info: Info, query: str, first: int | None = None, after: str | None = None
    ) -> UserConnection:
        page = keyset_page(
            search_users(query=query, viewer_id=info.context.viewer_id),
            kind="search",
            keys=SEARCH_ORDER,
            first=first,
            after=after,
        )
        return UserConnection.build(page)

    @strawberry_django.field
    def post(self, info: Info, id: strawberry.ID) -> PostType | None:
        pk = pk_of(id, "Post")
        return None if pk is None else _load_post(info, pk)

    @strawberry_django.field(
        description="Posts by the people the viewer follows and by the viewer, newest first. "
        "Requires sign-in."
    )
    def home_feed(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PostConnection:
        return post_connection(
            info,
            _home_feed,
            args=(require_viewer_id(info),),
            prepared=True,
            kind="home",
            keys=NEWEST_FIRST,
            first=first,
            after=after,
        )

    @strawberry_django.field(description="All top-level posts, newest first.")
    def public_feed(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PostConnection:
        return post_connection(
            info,
            _public_feed,
            args=(info.context.viewer_id,),
            prepared=True,
            kind="public",
            keys=NEWEST_FIRST,
            first=first,
            after=after,
        )

    @strawberry_django.field(
        description="Posts carrying #tag (case-insensitive, with or without the '#'), newest first."
    )
    def hashtag_feed(
        self, info: Info, tag: str, first: int | None = None, after: str | None = None
    ) -> PostConnection:
        return post_connection(
            info,
            lambda shape: hashtag_feed(tag=tag, viewer_id=info.context.viewer_id, shape=shape),
            kind="hashtag",
            keys=HASHTAG_FEED_ORDER,
            first=first,
            after=after,
        )
