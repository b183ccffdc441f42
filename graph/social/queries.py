import strawberry
import strawberry_django

from graph.context import Info
from graph.ids import pk_of
from graph.node import node_loader
from graph.permissions import require_viewer_id
from graph.types.posts import PostConnection, PostType, post_connection
from graph.types.selection import selected_post_shape
from graph.types.users import UserConnection, search_connection
from social.reads import posts as post_reads
from social.reads.views import PostView
from social.text import normalize_hashtag


@node_loader("Post")
def _load_post(info: Info, pk: int) -> PostView | None:
    return post_reads.post_view(
        post_id=pk, viewer_id=info.context.viewer_id, shape=selected_post_shape(info)
    )


@strawberry.type
class SocialQuery:
    @strawberry_django.field(
        description="Case-insensitive match on username or display name, best matches first."
    )
    def search_users(
        self, info: Info, query: str, first: int | None = None, after: str | None = None
    ) -> UserConnection:
        return search_connection(info, query, first=first, after=after)

    @strawberry_django.field
    def post(self, info: Info, id: strawberry.ID) -> PostType | None:
        pk = pk_of(id, "Post")
        return None if pk is None else _load_post(info, pk)  # type: ignore[return-value]

    @strawberry_django.field(
        description="Posts by the people the viewer follows and by the viewer, newest first. "
        "Requires sign-in."
    )
    def home_feed(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PostConnection:
        source = post_reads.home(require_viewer_id(info))
        return post_connection(info, source, kind="home", first=first, after=after)

    @strawberry_django.field(description="All top-level posts, newest first.")
    def public_feed(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PostConnection:
        return post_connection(info, post_reads.public(), kind="public", first=first, after=after)

    @strawberry_django.field(
        description="Posts carrying #tag (case-insensitive, with or without the '#'), newest first."
    )
    def hashtag_feed(
        self, info: Info, tag: str, first: int | None = None, after: str | None = None
    ) -> PostConnection:
        source = post_reads.tagged(normalize_hashtag(tag))
        return post_connection(info, source, kind="hashtag", first=first, after=after)
