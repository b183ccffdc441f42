import dataclasses
import operator
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

import strawberry
import strawberry_django
from django.db.models import QuerySet
from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from strawberry import relay

from graph.context import Info
from graph.pagination import Page, keyset_page, page_edges, page_info, prepared_keyset_page
from graph.types.common import encoded_global_id, maybe_in_thread, read_field
from graph.types.users import UserType
from social.caches import SizedLRU
from social.models import Post
from social.selectors.posts import (
    OLDEST_FIRST,
    PostRow,
    PostShape,
    UserFlags,
    attach_hashtags,
    post_hashtags,
    post_mentions,
    post_replies,
    post_row_values,
    post_rows,
    post_viewer_has_liked,
)
from social.text import MAX_HASHTAGS_PER_POST, MAX_MENTIONS_PER_POST


def _post_id(post: Post | PostRow) -> str:
    return encoded_global_id("Post", post.pk)


def _author(post: Post | PostRow) -> Any:
    # Joined in by the selectors; a bare instance costs one query.
    loaded = isinstance(post, PostRow) or "author" in post._state.fields_cache
    return maybe_in_thread(operator.attrgetter("author"), post, loaded=loaded)


def _hashtags(post: Post | PostRow) -> Any:
    loaded = "hashtag_list" in post.__dict__ or "hashtag_links" in getattr(
        post, "_prefetched_objects_cache", ()
    )
    return maybe_in_thread(_at_most_hashtags, post, loaded=loaded)


# The node limit counts a post's lists at these bounds (graph/security/list_bounds.py): rows
# written outside the services (seeds, the admin) must not return more.
def _at_most_hashtags(post: Post | PostRow) -> list[str]:
    return post_hashtags(post)[:MAX_HASHTAGS_PER_POST]  # type: ignore[arg-type]


# Fields read from the row alone are `read_field`s: resolved as basic fields, without an Info
# object and the resolver wrappers, which a page pays on each of its rows.
# A plain strawberry type over Post rows (not strawberry_django.type): its column fields are
# then "basic" (read with getattr, no Info, no per-field wrapper), the cheapest path of a
# field, and a feed page reads ~100 of them. The resolvers that may query stay
# strawberry_django fields, which hop to a thread when resolved from async code.
@strawberry.type(name="Post")
class PostType(relay.Node):
    # Explicit, so strawberry does not re-scan the annotations for every node.
    pk: relay.NodeID[int]
    body: str
    created_at: datetime
    edited_at: datetime | None = strawberry.field(
        description="Set when the body was edited after publication."
    )
    reply_count: int
    like_count: int

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, (Post, PostRow, cls))

    # relay.Node's own resolver looks the type up in the schema again for every row.
    _id = read_field(
        _post_id, relay.GlobalID, name="id", description="The Globally Unique ID of this object"
    )
    author = read_field(_author, UserType)

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
        return post_connection(
            info,
            _replies,
            args=(root.pk, info.context.viewer_id),
            prepared=True,
            kind="replies",
            keys=OLDEST_FIRST,
            first=first,
            after=after,
        )

    @strawberry.field
    def viewer_has_liked(self, root: Post, info: Info) -> bool:
        viewer_id = info.context.viewer_id
        loaded = viewer_id is None or root.__dict__.get("viewer_has_liked") is not None
        return cast(
            bool,
            maybe_in_thread(
                lambda post: post_viewer_has_liked(post, viewer_id=viewer_id), root, loaded=loaded
            ),
        )

    @strawberry_django.field(
        description="Users named as @username in the body who exist, in order of appearance."
    )
    def mentions(self, root: Post) -> list[UserType]:
        return cast(list[UserType], post_mentions(root)[:MAX_MENTIONS_PER_POST])

    hashtags = read_field(
        _hashtags,
        list[str],
        description="Tags written as #tag in the body, lower-cased, without '#', in order of "
        "appearance.",
    )


def _replies(shape: PostShape, post_id: int, viewer_id: int | None) -> QuerySet[Post]:
    return post_replies(post_id=post_id, viewer_id=viewer_id, shape=shape)


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
        return cls(edges=page_edges(page, PostEdge), page_info=page_info(page))


# Paths by the field's nodes in the parsed document, which ParserCache reuses for the same
# query text: a repeated query skips the walk. Directives are not applied (a field under
# @skip counts as selected), so the paths depend on the document alone.
# Clients choose the documents: an LRU of GRAPHQL_DOCUMENT_CACHE_SIZE entries.
_paths_by_nodes: SizedLRU[tuple[int, ...], tuple[tuple[FieldNode, ...], frozenset[str]]] = SizedLRU(
    "GRAPHQL_DOCUMENT_CACHE_SIZE"
)


def _selected_paths(info: Info) -> frozenset[str]:
    """Dotted paths of the fields selected under the current field ("edges.node.hashtags"),
    through fragments (which add their fields at the same level)."""
    raw = info._raw_info
    nodes = tuple(raw.field_nodes)
    key = tuple(id(node) for node in nodes)
    cached = _paths_by_nodes.get(key)
    if cached is not None and all(a is b for a, b in zip(cached[0], nodes, strict=True)):
        return cached[1]
    paths: set[str] = set()
    fragments = raw.fragments

    def walk(selection_set: SelectionSetNode | None, prefix: str) -> None:
        for selection in selection_set.selections if selection_set is not None else ():
            if isinstance(selection, FieldNode):
                name = selection.name.value
                path = f"{prefix}.{name}" if prefix else name
                paths.add(path)
                walk(selection.selection_set, path)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, prefix)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    walk(fragment.selection_set, prefix)

    for node in nodes:
        walk(node.selection_set, "")
    result = frozenset(paths)
    _paths_by_nodes.put(key, (nodes, result))
    return result


def _user_flags(paths: frozenset[str], user: str) -> UserFlags | None:
    """The follow flags selected on the user at `user`; None when it is not selected."""
    if user not in paths:
        return None
    return UserFlags(
        viewer_follows=f"{user}.viewerFollows" in paths,
        follows_viewer=f"{user}.followsViewer" in paths,
    )


def _post_shape(paths: frozenset[str], post: str) -> PostShape:
    parent = f"{post}.replyTo"
    return PostShape(
        viewer_has_liked=f"{post}.viewerHasLiked" in paths,
        author=_user_flags(paths, f"{post}.author"),
        hashtags=f"{post}.hashtags" in paths,
        mentions=_user_flags(paths, f"{post}.mentions"),
        reply_to=_post_shape(paths, parent) if parent in paths else None,
    )


# The Post and User fields read from a column (the others need only the keys, a flag or
# another query), and that column as post_row_values names it.
_POST_COLUMNS = {
    "body": "body",
    "editedAt": "edited_at",
    "replyCount": "reply_count",
    "likeCount": "like_count",
}
_USER_COLUMNS = {
    "username": "author__username",
    "email": "author__email",
    "displayName": "author__display_name",
    "bio": "author__bio",
    "avatarUrl": "author__avatar_url",
    "dateJoined": "author__date_joined",
    "followerCount": "author__follower_count",
    "followingCount": "author__following_count",
    "postCount": "author__post_count",
}


def _row_columns(paths: frozenset[str], post: str) -> tuple[str, ...]:
    """The columns of the post at `post` and of its author that its selection reads."""
    author = f"{post}.author"
    return (
        *(column for name, column in _POST_COLUMNS.items() if f"{post}.{name}" in paths),
        *(column for name, column in _USER_COLUMNS.items() if f"{author}.{name}" in paths),
    )


def post_connection(
    info: Info,
    select: Callable[..., QuerySet[Post]],
    *,
    args: Sequence[int | None] = (),
    prepared: bool = False,
    kind: str,
    keys: Sequence[str],
    first: int | None,
    after: str | None,
) -> PostConnection:
    """A keyset page of `select(shape, *args)`, where the shape holds the joins, viewer flags
    and prefetches the connection's selection needs (fragments included) and no others.

    `prepared`: `select` is a module-level function of the shape and of `args` (ids) only, so
    a page without mentions or parents is read as PostRows by SQL compiled once per shape
    (`prepared_keyset_page`) instead of building the queryset again for every request.
    The page's own tags are read after the page, as plain lists (`attach_hashtags`): the
    same one query as a prefetch, without a model and a queryset per post; a prepared page
    on PostgreSQL holds them in its rows already (one query for the page)."""
    paths = _selected_paths(info)
    shape = _post_shape(paths, "edges.node")
    shape_read = dataclasses.replace(shape, hashtags=False)
    page: Page[Any]
    if prepared and shape.mentions is None and shape.reply_to is None:
        columns = _row_columns(paths, "edges.node")
        page = prepared_keyset_page(
            lambda *bound: post_row_values(select(shape_read, *bound), shape, columns),
            args,
            model=Post,
            rows=post_rows,
            key=(select, shape, columns),
            kind=kind,
            keys=keys,
            first=first,
            after=after,
        )
    else:
        queryset = select(shape_read, *args)
        page = keyset_page(queryset, kind=kind, keys=keys, first=first, after=after)
    if shape.hashtags:
        attach_hashtags(page.nodes)
    return PostConnection.build(page)
