"""Reads of posts: feeds, a user's posts, replies, each ready for one viewer.

Every queryset here comes from `annotate_posts_for_viewer`: author and parent
joined, tags and mentions prefetched, and the viewer's flags (`viewer_has_liked`,
`author.viewer_follows`, ...) fetched as annotations, so a page costs a fixed
number of queries whatever its size. A `PostShape` says which of those parts to
load: the API passes the parts its query selects.
"""

import operator
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import DateTimeField, Exists, F, Field, OuterRef, Prefetch, QuerySet
from django.db.models.query import ModelIterable

from social.caches import SizedLRU
from social.models import Follow, Like, Post, PostHashtag, PostMention, User
from social.selectors.flags import (
    copying_iterable,
    fetched_flag,
    follows_viewer,
    viewer_follows,
    with_iterable,
)
from social.text import normalize_hashtag

NEWEST_FIRST = ("-created_at", "-id")
OLDEST_FIRST = ("created_at", "id")

_MENTION_FLAGS = copying_iterable(
    [("user_viewer_follows", "user.viewer_follows"), ("user_follows_viewer", "user.follows_viewer")]
)


@dataclass(frozen=True)
class UserFlags:
    """Which of the viewer's follow flags to fetch with a user."""

    viewer_follows: bool = True
    follows_viewer: bool = True


@dataclass(frozen=True)
class PostShape:
    """What a reader shows of each post beyond its own columns.

    Each part costs a join, an Exists() subquery or a prefetch query (and compiling them
    costs more CPU than running them), so a list loads only the parts its query selects.
    """

    viewer_has_liked: bool = True
    author: UserFlags | None = UserFlags()  # None: the author is not joined
    hashtags: bool = True
    mentions: UserFlags | None = UserFlags()  # None: the mentions are not prefetched
    reply_to: "PostShape | None" = None  # None: the parent is not joined


# What `annotate_posts_for_viewer` loads unless told otherwise: author and parent (with its
# author) joined, every viewer flag of the three, the post's own tags and mentions.
FULL_SHAPE = PostShape(reply_to=PostShape(hashtags=False, mentions=None))


def _viewer_has_liked(viewer_id: int, post_ref: str) -> Exists:
    return Exists(Like.objects.filter(user_id=viewer_id, post_id=OuterRef(post_ref)))


def _mention_links(viewer_id: int | None, flags: UserFlags = UserFlags()) -> QuerySet[PostMention]:
    links = PostMention.objects.select_related("user").order_by("position")
    if viewer_id is None:
        return links
    annotations = {}
    if flags.viewer_follows:
        annotations["user_viewer_follows"] = viewer_follows(viewer_id, "user_id")
    if flags.follows_viewer:
        annotations["user_follows_viewer"] = follows_viewer(viewer_id, "user_id")
    return with_iterable(links.annotate(**annotations), _MENTION_FLAGS) if annotations else links


# One class per distinct shape, built once; clients choose the shapes.
_copying_classes: SizedLRU[tuple[tuple[str, str], ...], type[ModelIterable]] = SizedLRU(
    "PREPARED_SQL_CACHE_SIZE"
)


def _copying(copies: tuple[tuple[str, str], ...]) -> type[ModelIterable]:
    return _copying_classes.get_or_build(copies, lambda: copying_iterable(copies))


@dataclass
class _Plan:
    """The select_related paths, annotations, prefetches and annotation copies of a shape."""

    viewer_id: int | None
    joins: list[str] = field(default_factory=list)
    annotations: dict[str, Exists] = field(default_factory=dict)
    prefetches: list[Prefetch] = field(default_factory=list)
    copies: list[tuple[str, str]] = field(default_factory=list)

    def flag(self, name: str, target: str, condition: Exists) -> None:
        """Annotates `name`; copied onto `target` ("relation.attribute") unless that is it."""
        self.annotations[name] = condition
        if target != name:
            self.copies.append((name, target))

    def add(self, shape: PostShape, path: tuple[str, ...], post_ref: str) -> None:
        lookup = "".join(f"{name}__" for name in path)  # "reply_to__"
        alias = "".join(f"{name}_" for name in path)  # "reply_to_"
        target = "".join(f"{name}." for name in path)  # "reply_to."
        viewer_id = self.viewer_id
        if path and shape.author is None and shape.reply_to is None:
            self.joins.append(lookup.removesuffix("__"))
        if viewer_id is not None and shape.viewer_has_liked:
            self.flag(
                f"{alias}viewer_has_liked",
                f"{target}viewer_has_liked",
                _viewer_has_liked(viewer_id, post_ref),
            )
        if shape.author is not None:
            self.joins.append(f"{lookup}author")
            author_ref = f"{lookup}author_id"
            if viewer_id is not None and shape.author.viewer_follows:
                self.flag(
                    f"{alias}author_viewer_follows",
                    f"{target}author.viewer_follows",
                    viewer_follows(viewer_id, author_ref),
                )
            if viewer_id is not None and shape.author.follows_viewer:
                self.flag(
                    f"{alias}author_follows_viewer",
                    f"{target}author.follows_viewer",
                    follows_viewer(viewer_id, author_ref),
                )
        if shape.hashtags:
            tags = PostHashtag.objects.order_by("position")
            self.prefetches.append(Prefetch(f"{lookup}hashtag_links", queryset=tags))
        if shape.mentions is not None:
            links = _mention_links(viewer_id, shape.mentions)
            self.prefetches.append(Prefetch(f"{lookup}mention_links", queryset=links))
        if shape.reply_to is not None:
            self.add(shape.reply_to, (*path, "reply_to"), f"{lookup}reply_to_id")


def annotate_posts_for_viewer(
    queryset: QuerySet[Post], *, viewer_id: int | None, shape: PostShape = FULL_SHAPE
) -> QuerySet[Post]:
    """Posts ready to be shown to `viewer_id` (None when signed out) in a fixed number of queries:
    one for the rows, one for their hashtags, one for their mentions. `shape` narrows (or
    widens) what is joined, flagged and prefetched; the default is FULL_SHAPE."""
    plan = _Plan(viewer_id)
    plan.add(shape, (), "pk")
    if plan.joins:
        queryset = queryset.select_related(*plan.joins)
    if plan.prefetches:
        queryset = queryset.prefetch_related(*plan.prefetches)
    if plan.annotations:
        queryset = queryset.annotate(**plan.annotations)
    if plan.copies:
        queryset = with_iterable(queryset, _copying(tuple(plan.copies)))
    return queryset


def posts_visible(*, viewer_id: int | None = None, shape: PostShape = FULL_SHAPE) -> QuerySet[Post]:
    return annotate_posts_for_viewer(
        Post.objects.filter(author__is_active=True), viewer_id=viewer_id, shape=shape
    )


def post_by_id(*, post_id: int, viewer_id: int | None = None) -> Post | None:
    """One post for the viewer. Its tags and mentions load only when read: prefetching them
    would cost two queries even when the client asked for neither."""
    return posts_visible(viewer_id=viewer_id).prefetch_related(None).filter(pk=post_id).first()


def home_feed(*, viewer_id: int, shape: PostShape = FULL_SHAPE) -> QuerySet[Post]:
    """The viewer's own posts and those of everyone they follow; page with NEWEST_FIRST."""
    # One IN over a UNION ALL, not "author = viewer OR author IN (followed)": with the OR,
    # PostgreSQL walks the whole created_at index and filters row by row, ten times the
    # buffers at 100,000 posts (EXPLAIN ANALYZE in bench/RESULTS.md).
    authors = (
        Follow.objects.filter(follower_id=viewer_id)
        .values("followee_id")
        .union(User.objects.filter(pk=viewer_id).values("pk"), all=True)
    )
    return posts_visible(viewer_id=viewer_id, shape=shape).filter(author_id__in=authors)


def public_feed(*, viewer_id: int | None = None, shape: PostShape = FULL_SHAPE) -> QuerySet[Post]:
    """Top-level posts: no replies, not even those whose parent was deleted; NEWEST_FIRST."""
    # Both conditions: rows written in bulk (seeds) may set reply_to without is_reply.
    return posts_visible(viewer_id=viewer_id, shape=shape).filter(
        reply_to__isnull=True, is_reply=False
    )


# The tag row's copy of the post's date and its post id: the order of hashtag_feed_idx.
HASHTAG_FEED_ORDER = ("-tag_created_at", "-tag_post_id")


def hashtag_feed(
    *, tag: str, viewer_id: int | None = None, shape: PostShape = FULL_SHAPE
) -> QuerySet[Post]:
    """Posts carrying #tag, case-insensitive, with or without '#'; page with HASHTAG_FEED_ORDER.

    Sorted on the PostHashtag row, not the post, so a page is one range scan of
    hashtag_feed_idx (tag, -created_at, -post) however rare the tag; the annotations reuse the
    filter's join, and their values equal the post's (created_at, id)."""
    tag = normalize_hashtag(tag)
    tagged = (
        posts_visible(viewer_id=viewer_id, shape=shape)
        .filter(hashtag_links__tag=tag)
        .annotate(
            tag_created_at=F("hashtag_links__created_at"), tag_post_id=F("hashtag_links__post_id")
        )
    )
    # NUL: no tag has one, and PostgreSQL refuses it. Empty, the annotations stay for the order.
    return tagged if tag and "\x00" not in tag else tagged.none()


def user_posts(
    *, user_id: int, viewer_id: int | None = None, shape: PostShape = FULL_SHAPE
) -> QuerySet[Post]:
    """Everything the user wrote, replies included; page with NEWEST_FIRST."""
    return posts_visible(viewer_id=viewer_id, shape=shape).filter(author_id=user_id)


def post_replies(
    *, post_id: int, viewer_id: int | None = None, shape: PostShape = FULL_SHAPE
) -> QuerySet[Post]:
    """Direct replies to the post; page with OLDEST_FIRST so a thread reads top to bottom."""
    return posts_visible(viewer_id=viewer_id, shape=shape).filter(reply_to_id=post_id)


def post_viewer_has_liked(post: Post, *, viewer_id: int | None) -> bool:
    """The `viewer_has_liked` flag fetched with the post, else one query."""
    if viewer_id is None:
        return False
    return fetched_flag(
        post,
        "viewer_has_liked",
        lambda: Like.objects.filter(user_id=viewer_id, post_id=post.pk).exists(),
    )


class UserRow:
    """A post's author as plain values (`post_rows`): the columns UserType reads, no model."""

    pk: int
    id: int
    username: str
    email: str


class PostRow:
    """A post of a list as plain values (`post_rows`): the columns PostType reads, its author
    as a UserRow when joined and its viewer flag when fetched; no model instance."""

    pk: int
    id: int
    author_id: int
    created_at: datetime
    author: UserRow


# What a PostRow and its author hold, as values_list() names: always its keys (the cursor's
# values, its author's pk), then the columns its reader asks for.
POST_ROW_KEYS = ("id", "created_at", "author_id")
POST_ROW_COLUMNS = ("body", "edited_at", "reply_count", "like_count", "reply_to_id", "is_reply")
_AUTHOR = "author__"
AUTHOR_ROW_COLUMNS = tuple(
    f"{_AUTHOR}{name}"
    for name in (
        "username",
        "email",
        "display_name",
        "bio",
        "avatar_url",
        "date_joined",
        "follower_count",
        "following_count",
        "post_count",
    )
)
# Annotations of `annotate_posts_for_viewer` that belong to the author.
_AUTHOR_FLAGS = {
    "author_viewer_follows": "viewer_follows",
    "author_follows_viewer": "follows_viewer",
}


def post_row_values(
    queryset: QuerySet[Post], shape: PostShape, columns: Sequence[str] | None = None
) -> QuerySet[Any]:
    """`queryset` (of `annotate_posts_for_viewer`, a shape without mentions or parent) as the
    values `post_rows` reads: the post's keys, the `columns` asked for (of POST_ROW_COLUMNS
    and, when the author is joined, AUTHOR_ROW_COLUMNS; default all: a row holds no other),
    its flags, and on PostgreSQL its tags when the shape has them (`attach_hashtags` reads
    them for the rows that lack them)."""
    if shape.mentions is not None or shape.reply_to is not None:
        raise ValueError("Mentions and parents are read as models.")
    if columns is None:
        columns = (*POST_ROW_COLUMNS, *AUTHOR_ROW_COLUMNS)
    post = [name for name in columns if name in POST_ROW_COLUMNS]
    author: list[str] = []
    if shape.author is not None:
        author = [f"{_AUTHOR}id", *(name for name in columns if name in AUTHOR_ROW_COLUMNS)]
    if shape.hashtags and connections[queryset.db].vendor == "postgresql":
        # The post's tags in its own row: one query for the page instead of two.
        tags = PostHashtag.objects.filter(post_id=OuterRef("pk")).order_by("position")
        queryset = queryset.annotate(hashtag_list=ArraySubquery(tags.values("tag")))
    return queryset.values_list(*POST_ROW_KEYS, *post, *author, *queryset.query.annotations)


@dataclass(frozen=True)
class _RowLayout:
    post_names: tuple[str, ...]
    post_values: Callable[[Sequence[Any]], tuple[Any, ...]]
    # The author's names and values, when joined.
    author: tuple[tuple[str, ...], Callable[[Sequence[Any]], tuple[Any, ...]]] | None


# One per column list of a prepared read (PREPARED_SQL_CACHE_SIZE, as the SQL).
_row_layouts: SizedLRU[tuple[str, ...], _RowLayout] = SizedLRU("PREPARED_SQL_CACHE_SIZE")


def _row_layout(names: tuple[str, ...]) -> _RowLayout:
    return _row_layouts.get_or_build(names, lambda: _build_row_layout(names))


def _build_row_layout(names: tuple[str, ...]) -> _RowLayout:
    post: list[tuple[str, int]] = []
    author: list[tuple[str, int]] = []
    for index, name in enumerate(names):
        if name.startswith(_AUTHOR):
            author.append((name.removeprefix(_AUTHOR), index))
        elif name in _AUTHOR_FLAGS:
            author.append((_AUTHOR_FLAGS[name], index))
        else:
            post.append((name, index))
    post.append(("pk", names.index("id")))
    joined = any(name.startswith(_AUTHOR) for name in names)
    if joined:
        author.append(("pk", names.index("author_id")))

    # Two or more indexes each, so itemgetter gives a tuple.
    return _RowLayout(
        post_names=tuple(name for name, _ in post),
        post_values=operator.itemgetter(*(index for _, index in post)),
        author=(
            (tuple(name for name, _ in author), operator.itemgetter(*(i for _, i in author)))
            if joined
            else None
        ),
    )


def post_rows(names: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[PostRow]:
    """PostRows from the values of `post_row_values` (the column `names`, then the rows)."""
    layout = _row_layout(names)
    post_names, post_values = layout.post_names, layout.post_values
    posts = []
    for row in rows:
        post = PostRow.__new__(PostRow)
        post.__dict__ = dict(zip(post_names, post_values(row), strict=True))
        if layout.author is not None:
            author_names, author_values = layout.author
            author = UserRow.__new__(UserRow)
            author.__dict__ = dict(zip(author_names, author_values(row), strict=True))
            post.author = author
        posts.append(post)
    return posts


def _tags_of(*post_ids: int) -> QuerySet[Any]:
    links = PostHashtag.objects.filter(post_id__in=post_ids).order_by("post_id", "position")
    return links.values_list("post_id", "tag")


def attach_hashtags(posts: "Sequence[Post | PostRow]") -> None:
    """Sets each post's tags as `post.hashtag_list`, in one query for all of them: what a
    prefetch of `hashtag_links` gives, without a model per tag and a queryset per post.
    Posts that hold their tags already (`post_row_values`) are left as they are."""
    posts = [post for post in posts if "hashtag_list" not in post.__dict__]
    tags: dict[int, list[str]] = {post.pk: [] for post in posts}
    if tags:
        ids = list(tags)
        _, rows = prepared_rows(("tags", len(ids)), _tags_of, ids)
        for post_id, tag in rows:
            tags[post_id].append(tag)
    for post in posts:
        post.hashtag_list = tags[post.pk]  # type: ignore[union-attr]


def post_hashtags(post: Post) -> list[str]:
    """Lower-cased tags in order of appearance (attached or prefetched by the selectors)."""
    attached: list[str] | None = post.__dict__.get("hashtag_list")
    if attached is not None:
        return attached
    return [link.tag for link in post.hashtag_links.all()]


def post_mentions(post: Post) -> list[User]:
    """Mentioned users in order of appearance (prefetched by the selectors)."""
    links = post.mention_links.all()
    if "mention_links" not in getattr(post, "_prefetched_objects_cache", {}):
        links = links.select_related("user")
    return [link.user for link in links]


# Prepared reads: a hot list's SQL compiled once per shape, each request binding only its
# arguments. Building and compiling the same ORM queryset again cost more CPU per feed page
# than PostgreSQL spent running it.

_INT_SENTINEL = 2**62  # far beyond any id or count the build could hold as a constant
_DATETIME_SENTINEL = datetime(1901, 2, 3, 4, 5, 6, 700000, tzinfo=UTC)


@dataclass(frozen=True)
class _Slot:
    """Where argument `index` goes among a prepared query's parameters."""

    index: int


@dataclass(frozen=True)
class _Prepared:
    sql: str
    params: tuple[Any, ...]  # constants, and a _Slot where an argument goes
    names: tuple[str, ...]  # the columns of a row
    # Per column index: the backend's and the field's converters, and their expression.
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


# Per selection shape and page size, which clients choose: at most PREPARED_SQL_CACHE_SIZE.
_prepared: SizedLRU[Hashable, _Prepared] = SizedLRU("PREPARED_SQL_CACHE_SIZE")


def _sentinel(position: int, field: "Field[Any, Any] | None") -> Any:
    if isinstance(field, DateTimeField):
        return _DATETIME_SENTINEL + timedelta(microseconds=position)
    return _INT_SENTINEL + position


def _looks_like_sentinel(param: Any) -> bool:
    if isinstance(param, int):
        return abs(param) >= _INT_SENTINEL // 2
    return isinstance(param, (str, datetime)) and str(param).startswith("1901-02-03")


def _prepare(
    build: Callable[..., QuerySet[Any]],
    fields: "Sequence[Field[Any, Any] | None]",
    alias: str,
) -> _Prepared:
    connection = connections[alias]
    sentinels = [_sentinel(i, f) for i, f in enumerate(fields)]
    queryset = build(*sentinels)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    slots: list[tuple[Any, _Slot]] = []
    for i, (sentinel, field_) in enumerate(zip(sentinels, fields, strict=True)):
        adapted = sentinel if field_ is None else field_.get_db_prep_value(sentinel, connection)
        slots.append((adapted, _Slot(i)))

    def bind(param: Any) -> Any:
        for adapted, slot in slots:
            if type(param) is type(adapted) and param == adapted:
                return slot
        return param

    bound = tuple(bind(param) for param in params)
    # An argument the build changed on its way into the SQL would be baked in as a constant.
    if compiler.has_extra_select or any(_looks_like_sentinel(param) for param in bound):
        raise RuntimeError(f"A prepared query changed its arguments: {sql}")
    query = queryset.query
    names = (*query.extra_select, *query.values_select, *query.annotation_select)
    expressions = [column for column, _, _ in compiler.select[: compiler.col_count]]
    converters = tuple(
        (index, tuple(functions), expression)
        for index, (functions, expression) in compiler.get_converters(expressions).items()
    )
    return _Prepared(sql, bound, names, converters)


def prepared_rows(
    key: Hashable,
    build: Callable[..., QuerySet[Any]],
    args: Sequence[Any],
    fields: "Sequence[Field[Any, Any] | None] | None" = None,
) -> tuple[tuple[str, ...], list[Any]]:
    """The column names and rows of `build(*args)`, a values_list() queryset, in one query.

    Its SQL is compiled once per `key`, from `build` called with stand-in arguments; `key`
    must name everything else the SQL depends on (the shape, the page size, which arguments
    are there). An argument is an int bound as it is, or, where `fields` names a field, a
    value that field adapts as a filter would (a cursor's date, say); the field may refuse
    it (ValidationError, ValueError, TypeError) as the filter would."""
    fields = fields if fields is not None else (None,) * len(args)
    connection = connections[DEFAULT_DB_ALIAS]
    full_key = (key, connection.vendor)
    prepared = _prepared.get_or_build(full_key, lambda: _prepare(build, fields, DEFAULT_DB_ALIAS))
    values = [
        arg if field_ is None else field_.get_db_prep_value(arg, connection)
        for arg, field_ in zip(args, fields, strict=True)
    ]
    params = [values[p.index] if isinstance(p, _Slot) else p for p in prepared.params]
    with connection.cursor() as cursor:
        cursor.execute(prepared.sql, params)
        rows = cursor.fetchall()
    if prepared.converters:
        converted = []
        for row in rows:
            row = list(row)
            for index, functions, expression in prepared.converters:
                value = row[index]
                for function in functions:
                    value = function(value, expression, connection)
                row[index] = value
            converted.append(row)
        rows = converted
    return prepared.names, rows
