"""Posts as a viewer sees them (`PostView`), read with SQL written here.

A list is one statement for its rows: each post with its author, the parents the shape
asks for (LEFT JOINs), the viewer's flags as EXISTS subqueries and, on PostgreSQL, its tags
as an ARRAY subquery; then at most one query for the tags (elsewhere) and one for the
mentions of every post on the page. The statement's text depends only on the source, the
shape, the page size and whether a cursor is given: it is built once and kept, and each
read binds only its ids and cursor values.

SQL text here is formatted from table names, aliases and %s placeholders only: every value
(ids, tags, cursor values, the viewer's id) is a bound parameter.
"""

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.utils.dateparse import parse_datetime

from social.caches import sized_lru_cache
from social.models import Follow, Post, PostHashtag, PostMention, User
from social.reads import media as media_reads
from social.reads.flags import (
    blocks_viewer_sql,
    follow_requested_sql,
    follows_viewer_sql,
    liked_sql,
    locked_of,
    many_viewers,
    people_of,
    post_with_viewer,
    posts_of,
    viewer_blocks_sql,
    viewer_follows_sql,
)
from social.reads.views import PostShape, PostView, UserFlags, UserView
from social.text import MAX_HASHTAGS_PER_POST, MAX_MENTIONS_PER_POST
from social.visibility import (
    NOW,
    VIEWER,
    SqlFragment,
    now_param,
    posts_sql,
    users_sql,
    viewer_mutes_sql,
)

_POST = Post._meta.db_table
_USER = User._meta.db_table
_FOLLOW = Follow._meta.db_table
_TAG = PostHashtag._meta.db_table
_MENTION = PostMention._meta.db_table

_POST_COLUMNS = (
    "id",
    "author_id",
    "body",
    "created_at",
    "edited_at",
    "reply_count",
    "like_count",
    "reply_to_id",
    "media_json",
)
USER_COLUMNS = (
    "id",
    "username",
    "email",
    "display_name",
    "bio",
    "avatar_url",
    "date_joined",
    "follower_count",
    "following_count",
    "post_count",
    "email_verified_at",
    "is_locked",
    "avatar_json",
)


@dataclass(frozen=True)
class Source:
    """Where a list's posts come from: its FROM/WHERE, its order, and its argument's role."""

    name: str
    arg: Any = None  # an id or a tag; the viewer's id is given apart


def home(viewer_id: int) -> Source:
    """The viewer's own posts and those of everyone they follow; newest first."""
    return Source("home", viewer_id)


def home_since(viewer_id: int) -> Source:
    """The viewer's home feed oldest first: what a live subscription replays after a
    `home` cursor (the same posts, the same cursors)."""
    return Source("home_since", viewer_id)


def public() -> Source:
    """Top-level posts (no replies, not even those whose parent was deleted); newest first."""
    return Source("public")


def by_user(user_id: int) -> Source:
    """Everything the user wrote, replies included; newest first."""
    return Source("user", user_id)


def replies_to(post_id: int) -> Source:
    """Direct replies to the post; oldest first, so a thread reads top to bottom."""
    return Source("replies", post_id)


def tagged(tag: str) -> Source:
    """Posts carrying the tag (normalized); newest first, in the tag rows' own order, so a
    page is one range scan of hashtag_feed_idx however rare the tag."""
    return Source("hashtag", tag)


class _Arg:
    """Stands for the source's argument among a statement's parameters."""


_ARG: Any = _Arg()

# The sources that are feeds, where the viewer's mutes hide posts (visibility.posts_sql).
_FEEDS = frozenset({"home", "home_since", "public", "hashtag"})

# Per source: FROM ... WHERE (the posts as p0, their authors as u0), the sort columns and
# whether the order is descending. One IN over a UNION ALL for the home feed, not
# "author = viewer OR author IN (followed)": with the OR, PostgreSQL walks the whole
# created_at index and filters row by row (bench/RESULTS.md).
_SOURCES: dict[str, tuple[str, str, tuple[Any, ...], tuple[str, str], bool]] = {
    "home": (
        f"{_POST} p0 JOIN {_USER} u0 ON u0.id = p0.author_id",
        f"p0.author_id IN (SELECT followee_id FROM {_FOLLOW} WHERE follower_id = %s "  # noqa: S608
        "UNION ALL SELECT %s)",
        (_ARG, _ARG),
        ("p0.created_at", "p0.id"),
        True,
    ),
    "home_since": (
        f"{_POST} p0 JOIN {_USER} u0 ON u0.id = p0.author_id",
        f"p0.author_id IN (SELECT followee_id FROM {_FOLLOW} WHERE follower_id = %s "  # noqa: S608
        "UNION ALL SELECT %s)",
        (_ARG, _ARG),
        ("p0.created_at", "p0.id"),
        False,
    ),
    # Both conditions: rows written in bulk (seeds) may set reply_to without is_reply.
    "public": (
        f"{_POST} p0 JOIN {_USER} u0 ON u0.id = p0.author_id",
        "p0.reply_to_id IS NULL AND NOT p0.is_reply",
        (),
        ("p0.created_at", "p0.id"),
        True,
    ),
    "user": (
        f"{_POST} p0 JOIN {_USER} u0 ON u0.id = p0.author_id",
        "p0.author_id = %s",
        (_ARG,),
        ("p0.created_at", "p0.id"),
        True,
    ),
    "replies": (
        f"{_POST} p0 JOIN {_USER} u0 ON u0.id = p0.author_id",
        "p0.reply_to_id = %s",
        (_ARG,),
        ("p0.created_at", "p0.id"),
        False,
    ),
    # The tag row's copy of the post's date and its post id: equal to the post's own.
    "hashtag": (
        f"{_TAG} h JOIN {_POST} p0 ON p0.id = h.post_id JOIN {_USER} u0 ON u0.id = p0.author_id",
        "h.tag = %s",
        (_ARG,),
        ("h.created_at", "h.post_id"),
        True,
    ),
}


# The sources that are feeds, where a feed's rules apply too (social.visibility.posts_q).
_FEEDS = frozenset({"home", "home_since", "public", "hashtag"})


@dataclass
class _Level:
    """Where one post of a row (the page's post, its parent, ...) sits, and what it holds."""

    offset: int
    liked: int | None = None  # column index of each flag, when read
    viewer_follows: int | None = None
    follows_viewer: int | None = None
    viewer_mutes: int | None = None
    tags: int | None = None  # column index of the tags array (PostgreSQL)
    tags_apart: bool = False  # tags read by a second query
    mentions: UserFlags | None = None
    parent: "_Level | None" = None


@dataclass
class _Statement:
    sql: str
    params: tuple[Any, ...]  # constants, VIEWER and _ARG where those go
    level: _Level


@dataclass
class _Builder:
    viewer: bool
    pg: bool
    live: bool = False  # read once for many viewers (posts_sql's `live`)
    columns: list[str] = field(default_factory=list)
    column_params: list[Any] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    join_params: list[Any] = field(default_factory=list)

    def column(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.columns.append(sql)
        self.column_params.extend(params)
        return len(self.columns) - 1

    def level(self, shape: PostShape, depth: int) -> _Level:
        p, u = f"p{depth}", f"u{depth}"
        level = _Level(offset=len(self.columns))
        for name in _POST_COLUMNS:
            self.column(f"{p}.{name}")
        for name in USER_COLUMNS[1:]:
            self.column(f"{u}.{name}")
        if self.viewer and shape.viewer_has_liked:
            level.liked = self._fragment(liked_sql(post=f"{p}.id"))
        if self.viewer and shape.author is not None:
            if shape.author.viewer_follows:
                level.viewer_follows = self._fragment(viewer_follows_sql(user=f"{u}.id"))
            if shape.author.follows_viewer:
                level.follows_viewer = self._fragment(follows_viewer_sql(user=f"{u}.id"))
            if shape.author.viewer_mutes:
                level.viewer_mutes = self._fragment(viewer_mutes_sql(user=f"{u}.id"))
        if shape.hashtags and self.pg:
            level.tags = self.column(
                f"ARRAY(SELECT t.tag FROM {_TAG} t WHERE t.post_id = {p}.id ORDER BY t.position)"  # noqa: S608
            )
        level.tags_apart = shape.hashtags and not self.pg
        level.mentions = shape.mentions
        if shape.reply_to is not None:
            q, v = f"p{depth + 1}", f"u{depth + 1}"
            visible = posts_sql(post=q, author=v, live=self.live)
            self.joins.append(
                f"LEFT JOIN ({_POST} {q} JOIN {_USER} {v} ON {v}.id = {q}.author_id) "
                f"ON {q}.id = {p}.reply_to_id AND {visible.sql}"
            )
            self.join_params.extend(visible.params)
            level.parent = self.level(shape.reply_to, depth + 1)
        return level

    def _fragment(self, fragment: SqlFragment) -> int:
        return self.column(fragment.sql, fragment.params)


class _CursorValue:
    """Stands for one of the cursor's values among a statement's parameters."""


_CURSOR_TIME: Any = _CursorValue()
_CURSOR_ID: Any = _CursorValue()

# Statements are kept per shape, which the client's selection decides: an LRU of
# PREPARED_SQL_CACHE_SIZE (social/caches.py), so made-up documents cannot grow the process.


@sized_lru_cache("PREPARED_SQL_CACHE_SIZE")
def _list_statement(
    source: str, shape: PostShape, viewer: bool, size: int, after: bool, vendor: str
) -> _Statement:
    builder = _Builder(viewer=viewer, pg=vendor == "postgresql")
    level = builder.level(shape, 0)
    tables, condition, condition_params, (first, second), descending = _SOURCES[source]
    visible = posts_sql(post="p0", author="u0", feed=source in _FEEDS)
    where = f"{condition} AND {visible.sql}"
    params = [*condition_params, *visible.params]
    if after:
        # Strictly after the cursor's row; the first bound alone lets PostgreSQL start
        # the index scan at the cursor instead of filtering every row before it.
        op, op_eq = ("<", "<=") if descending else (">", ">=")
        where += (
            f" AND {first} {op_eq} %s AND ({first} {op} %s OR ({first} = %s AND {second} {op} %s))"
        )
        params += [_CURSOR_TIME, _CURSOR_TIME, _CURSOR_TIME, _CURSOR_ID]
    direction = " DESC" if descending else ""
    sql = (
        f"SELECT {', '.join(builder.columns)} FROM {tables} {' '.join(builder.joins)} "  # noqa: S608
        f"WHERE {where} ORDER BY {first}{direction}, {second}{direction} LIMIT {int(size)}"
    )
    return _Statement(sql, (*builder.column_params, *builder.join_params, *params), level)


@sized_lru_cache("PREPARED_SQL_CACHE_SIZE")
def _ids_statement(
    shape: PostShape, viewer: bool, count: int, vendor: str, live: bool = False
) -> _Statement:
    builder = _Builder(viewer=viewer, pg=vendor == "postgresql", live=live)
    level = builder.level(shape, 0)
    visible = posts_sql(post="p0", author="u0", live=live)
    joins = " ".join(builder.joins)
    marks = ", ".join(["%s"] * count)
    sql = (
        f"SELECT {', '.join(builder.columns)} FROM {_POST} p0 "  # noqa: S608
        f"JOIN {_USER} u0 ON u0.id = p0.author_id {joins} "
        f"WHERE p0.id IN ({marks}) AND {visible.sql}"
    )
    params = (*builder.column_params, *builder.join_params, *[_ARG] * count, *visible.params)
    return _Statement(sql, params, level)


def _aware(value: Any) -> Any:
    """A datetime column's value as an aware datetime (SQLite hands back text)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _keep(value: Any) -> Any:
    return value


def time_reader() -> Callable[[Any], Any]:
    return _keep if connection.vendor == "postgresql" else _aware


def utc_instant(moment: datetime) -> datetime:
    """A cursor's date as a UTC instant (naive: already UTC). PostgreSQL refuses an offset
    over 15:59 that Python takes (up to 23:59); OverflowError outside years 1-9999."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def cursor_position(values: Sequence[Any]) -> tuple[datetime, int]:
    """A post list's cursor (date, id) as an aware date and an id; ValueError when it is
    not one. Touches no database connection (the live side checks cursors on its loop)."""
    moment, pk = values
    if not isinstance(moment, str):
        raise ValueError("not a date")
    parsed = parse_datetime(moment)
    if parsed is None:
        raise ValueError("not a date")
    parsed = utc_instant(parsed)
    if isinstance(pk, bool) or not isinstance(pk, (int, str)):
        raise ValueError("not an id")
    pk = int(pk)
    if abs(pk) > 2**63 - 1:  # beyond a bigint: PostgreSQL would refuse the parameter
        raise ValueError("not an id")
    return parsed, pk


def cursor_values(values: Sequence[Any]) -> tuple[Any, int]:
    """A post list's cursor (date, id) as parameters; ValueError when it is not one."""
    parsed, pk = cursor_position(values)
    return connection.ops.adapt_datetimefield_value(parsed), pk


def _run(
    statement: _Statement, viewer_id: int | None, args: Sequence[Any], cursor: Any
) -> list[Any]:
    supplied = iter(args)
    params = []
    for param in statement.params:
        if param is VIEWER:
            params.append(viewer_id)
        elif param is NOW:
            params.append(now_param())
        elif param is _ARG:
            params.append(next(supplied))
        elif param is _CURSOR_TIME:
            params.append(cursor[0])
        elif param is _CURSOR_ID:
            params.append(cursor[1])
        else:
            params.append(param)
    with connection.cursor() as db:
        db.execute(statement.sql, params)
        return db.fetchall()


def user_from_row(
    row: Sequence[Any],
    start: int,
    viewer_id: int | None,
    *,
    keep_email: bool,
    viewer_follows: int | None,
    follows_viewer: int | None,
    time: Callable[[Any], Any],
    viewer_mutes: int | None = None,
    viewer_blocks: int | None = None,
    blocks_viewer: int | None = None,
    follow_requested: int | None = None,
) -> UserView:
    """A UserView from USER_COLUMNS at `start` of `row` (the flags at their own indexes)."""
    user_id = row[start]
    own = keep_email or user_id == viewer_id
    picture = media_reads.avatar(row[start + 12])
    return UserView(
        user_id,
        row[start + 1],
        row[start + 2] if own else None,
        row[start + 3],
        row[start + 4],
        row[start + 5] if picture is None else picture.thumbnail_url,
        time(row[start + 6]),
        row[start + 7],
        row[start + 8],
        row[start + 9],
        viewer_follows is not None and bool(row[viewer_follows]),
        follows_viewer is not None and bool(row[follows_viewer]),
        (row[start + 10] is not None) if own else None,
        viewer_mutes is not None and bool(row[viewer_mutes]),
        viewer_blocks is not None and bool(row[viewer_blocks]),
        blocks_viewer is not None and bool(row[blocks_viewer]),
        bool(row[start + 11]),
        follow_requested is not None and bool(row[follow_requested]),
        picture,
    )


def _wanted(rows: list[Any], level: _Level) -> tuple[set[int], set[int], UserFlags | None]:
    """The ids of the posts whose tags and whose mentions are read apart, and the flags."""
    tags: set[int] = set()
    mentions: set[int] = set()
    asked: list[UserFlags] = []
    current: _Level | None = level
    while current is not None:
        offset = current.offset
        if current.tags_apart:
            tags.update(row[offset] for row in rows if row[offset] is not None)
        if current.mentions is not None:
            mentions.update(row[offset] for row in rows if row[offset] is not None)
            asked.append(current.mentions)
        current = current.parent
    # One read for every level's mentions, with the flags any level shows.
    flags = UserFlags(
        viewer_follows=any(f.viewer_follows for f in asked),
        follows_viewer=any(f.follows_viewer for f in asked),
        viewer_mutes=any(f.viewer_mutes for f in asked),
        viewer_blocks=any(f.viewer_blocks for f in asked),
        blocks_viewer=any(f.blocks_viewer for f in asked),
        follow_requested=any(f.follow_requested for f in asked),
    )
    return tags, mentions, flags if asked else None


def _read_tags(post_ids: set[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {pk: [] for pk in post_ids}
    if post_ids:
        marks = ", ".join(["%s"] * len(post_ids))
        sql = (
            f"SELECT post_id, tag FROM {_TAG} WHERE post_id IN ({marks}) ORDER BY post_id, position"  # noqa: S608
        )
        with connection.cursor() as db:
            db.execute(sql, list(post_ids))
            for post_id, tag in db.fetchall():
                found[post_id].append(tag)
    return found


def _read_mentions(
    post_ids: set[int], flags: UserFlags, viewer_id: int | None, *, keep_emails: bool
) -> dict[int, list[UserView]]:
    found: dict[int, list[UserView]] = {pk: [] for pk in post_ids}
    if not post_ids:
        return found
    columns = [f"u.{name}" for name in USER_COLUMNS]
    params: list[Any] = []

    def flag(wanted: bool, rule: Callable[..., SqlFragment]) -> int | None:
        """The viewer's flag `rule` as one more column, when asked: its index in the row
        (which starts with the post id)."""
        if viewer_id is None or not wanted:
            return None
        fragment = rule(user="u.id")
        columns.append(fragment.sql)
        params.extend(fragment.bind(viewer_id))
        return len(columns)

    requested = flag(flags.follow_requested, follow_requested_sql)
    follows = flag(flags.viewer_follows, viewer_follows_sql)
    followed = flag(flags.follows_viewer, follows_viewer_sql)
    mutes = flag(flags.viewer_mutes, viewer_mutes_sql)
    blocks = flag(flags.viewer_blocks, viewer_blocks_sql)
    blocked = flag(flags.blocks_viewer, blocks_viewer_sql)
    visible = users_sql(user="u", listed=True)
    marks = ", ".join(["%s"] * len(post_ids))
    sql = (
        f"SELECT m.post_id, {', '.join(columns)} FROM {_MENTION} m "  # noqa: S608
        f"JOIN {_USER} u ON u.id = m.user_id WHERE m.post_id IN ({marks}) AND {visible.sql} "
        "ORDER BY m.post_id, m.position"
    )
    time = time_reader()
    with connection.cursor() as db:
        db.execute(sql, [*params, *post_ids, *visible.bind(viewer_id)])
        for row in db.fetchall():
            found[row[0]].append(
                user_from_row(
                    row,
                    1,
                    viewer_id,
                    keep_email=keep_emails,
                    viewer_follows=follows,
                    follows_viewer=followed,
                    time=time,
                    viewer_mutes=mutes,
                    viewer_blocks=blocks,
                    blocks_viewer=blocked,
                    follow_requested=requested,
                )
            )
    return found


def _views(
    rows: list[Any], level: _Level, viewer_id: int | None, *, keep_emails: bool = False
) -> list[PostView]:
    return [
        view
        for view in _row_views(rows, level, viewer_id, keep_emails=keep_emails)
        if view is not None
    ]


def _row_views(
    rows: list[Any], level: _Level, viewer_id: int | None, *, keep_emails: bool = False
) -> list[PostView | None]:
    """The post of each row (None where the row has none, or one the viewer may not see)."""
    tag_ids, mention_ids, mention_flags = _wanted(rows, level)
    tags = _read_tags(tag_ids)
    mentions = (
        _read_mentions(mention_ids, mention_flags, viewer_id, keep_emails=keep_emails)
        if mention_flags is not None
        else {}
    )
    time = time_reader()

    def build(row: Sequence[Any], level: _Level) -> PostView | None:
        o = level.offset
        post_id = row[o]
        if post_id is None:
            return None
        picture = media_reads.avatar(row[o + 20])
        author = UserView(
            row[o + 1],
            row[o + 9],
            row[o + 10] if keep_emails or row[o + 1] == viewer_id else None,
            row[o + 11],
            row[o + 12],
            row[o + 13] if picture is None else picture.thumbnail_url,
            time(row[o + 14]),
            row[o + 15],
            row[o + 16],
            row[o + 17],
            level.viewer_follows is not None and bool(row[level.viewer_follows]),
            level.follows_viewer is not None and bool(row[level.follows_viewer]),
            (row[o + 18] is not None) if keep_emails or row[o + 1] == viewer_id else None,
            level.viewer_mutes is not None and bool(row[level.viewer_mutes]),
            is_locked=bool(row[o + 19]),
            avatar=picture,
            # viewerFollowRequested stays false: a request to a locked author is pending only
            # while the viewer does not follow them, and then their posts are hidden.
        )
        if level.tags is not None:
            post_tags = tuple(row[level.tags][:MAX_HASHTAGS_PER_POST])
        elif level.tags_apart:
            post_tags = tuple(tags[post_id][:MAX_HASHTAGS_PER_POST])
        else:
            post_tags = ()
        return PostView(
            post_id,
            row[o + 1],
            row[o + 2],
            time(row[o + 3]),
            time(row[o + 4]),
            row[o + 5],
            row[o + 6],
            row[o + 7],
            author,
            level.liked is not None and bool(row[level.liked]),
            post_tags,
            # At most the bounds the node limit counts (graph/security/list_bounds.py), also
            # for rows written outside the services.
            tuple(mentions[post_id][:MAX_MENTIONS_PER_POST]) if level.mentions is not None else (),
            None if level.parent is None else build(row, level.parent),
            media_reads.post_media(row[o + 8]),
        )

    return [build(row, level) for row in rows]


def post_page(
    *,
    source: Source,
    viewer_id: int | None,
    shape: PostShape,
    size: int,
    after: tuple[Any, int] | None = None,
) -> list[PostView]:
    """Up to `size` posts of `source` in its order, strictly after the row whose cursor
    values (`cursor_values`) are `after`."""
    if source.name == "hashtag" and (not source.arg or "\x00" in source.arg):
        # No tag is empty or holds a NUL (which PostgreSQL refuses as a parameter).
        return []
    statement = _list_statement(
        source.name, shape, viewer_id is not None, size, after is not None, connection.vendor
    )
    args = [] if source.arg is None else [source.arg] * statement.params.count(_ARG)
    rows = _run(statement, viewer_id, args, after or (None, None))
    return _views(rows, statement.level, viewer_id)


def home_replay_page(
    *, viewer_id: int, after: tuple[datetime, int], shape: PostShape, size: int
) -> tuple[list[PostView], bool]:
    """Up to `size` posts of the viewer's home feed strictly newer than the position
    `after` (`cursor_position`), oldest first, as `homeFeed` shows them; and whether the
    page was full (more may follow)."""
    statement = _list_statement("home_since", shape, True, size, True, connection.vendor)
    args = [viewer_id] * statement.params.count(_ARG)
    cursor = (connection.ops.adapt_datetimefield_value(after[0]), after[1])
    rows = _run(statement, viewer_id, args, cursor)
    return _views(rows, statement.level, viewer_id), len(rows) == size


def page_statement(
    source: Source, *, viewer_id: int | None, shape: PostShape, size: int
) -> tuple[str, list[Any]]:
    """The SQL and parameters `post_page` runs for a first page (for EXPLAIN and tests)."""
    statement = _list_statement(
        source.name, shape, viewer_id is not None, size, False, connection.vendor
    )
    args = [] if source.arg is None else [source.arg] * statement.params.count(_ARG)
    supplied = iter(args)
    params = [
        viewer_id
        if p is VIEWER
        else now_param()
        if p is NOW
        else next(supplied)
        if p is _ARG
        else p
        for p in statement.params
    ]
    return statement.sql, params


def posts_by_ids(
    *,
    post_ids: Sequence[int],
    viewer_id: int | None,
    shape: PostShape,
    keep_emails: bool = False,
) -> dict[int, PostView]:
    """The posts among `post_ids` that the viewer may see, by id.

    `keep_emails`: every author's email kept, for a read shown to many viewers, each
    through `post_with_viewer` (social/reads/flags.py), which hides all but their own, and
    applies the live check: the read keeps the posts that only some viewers may see."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    statement = _ids_statement(
        shape, viewer_id is not None, len(ids), connection.vendor, keep_emails
    )
    rows = _run(statement, viewer_id, ids, (None, None))
    views = _views(rows, statement.level, viewer_id, keep_emails=keep_emails)
    return {view.id: view for view in views}


def post_view(*, post_id: int, viewer_id: int | None, shape: PostShape) -> PostView | None:
    """The post as the viewer sees it, or None when it is gone or hidden from them."""
    return posts_by_ids(post_ids=[post_id], viewer_id=viewer_id, shape=shape).get(post_id)


@dataclass(frozen=True)
class Host:
    """Rows of another table that each show at most one post (a notification's): the read
    selects `columns` (then the post's, joined on `post_ref`) from `tables`, where `where`
    holds, then `tail` (ORDER BY, LIMIT). `params` lists the parameters of the columns,
    tables, where and tail in that order: constants, VIEWER, and ARG for each argument.
    `key` names the statement (it is built once per key, shape and viewer or not)."""

    key: Hashable
    columns: tuple[str, ...]
    tables: str
    post_ref: str
    where: str
    tail: str = ""
    column_params: tuple[Any, ...] = ()
    table_params: tuple[Any, ...] = ()
    where_params: tuple[Any, ...] = ()


ARG: Any = _ARG


def hosted_posts(
    host: Host,
    args: Sequence[Any],
    *,
    viewer_id: int | None,
    shape: PostShape,
    keep_emails: bool = False,
) -> list[tuple[Sequence[Any], PostView | None]]:
    """The rows of `host` (their own columns), each with its post as the viewer sees it:
    one statement, plus the tags (not on PostgreSQL) and mentions the shape asks for."""
    statement = _host_statement(host, shape, viewer_id is not None, connection.vendor, keep_emails)
    rows = _run(statement, viewer_id, args, (None, None))
    views = _row_views(rows, statement.level, viewer_id, keep_emails=keep_emails)
    width = len(host.columns)
    return [(row[:width], view) for row, view in zip(rows, views, strict=True)]


@sized_lru_cache("PREPARED_SQL_CACHE_SIZE")
def _host_statement(
    host: Host, shape: PostShape, viewer: bool, vendor: str, live: bool = False
) -> _Statement:
    builder = _Builder(viewer=viewer, pg=vendor == "postgresql", live=live)
    for column in host.columns:
        builder.column(column)
    builder.column_params[:0] = host.column_params
    level = builder.level(shape, 0)
    visible = posts_sql(post="p0", author="u0", live=live)
    sql = (
        f"SELECT {', '.join(builder.columns)} FROM {host.tables} "  # noqa: S608
        f"LEFT JOIN ({_POST} p0 JOIN {_USER} u0 ON u0.id = p0.author_id) "
        f"ON p0.id = {host.post_ref} AND {visible.sql} {' '.join(builder.joins)} "
        f"WHERE {host.where} {host.tail}"
    )
    params = (
        *builder.column_params,
        *host.table_params,
        *visible.params,
        *builder.join_params,
        *host.where_params,
    )
    return _Statement(sql, params, level)


def post_for_viewers(
    *, post_id: int, viewer_ids: list[int], shape: PostShape
) -> dict[int, PostView]:
    """The post as each local viewer sees it, in one thread hop and a fixed number of queries:
    read once for everyone, then each viewer's flags from two queries for all of them.

    Viewers who see it alike share one view, not one each: a popular author's followers
    fall into a handful of groups, and a view per viewer for thousands of them was most of
    the live side's read (realtime/delivery.py). Those who appear in the post (author,
    parent's author, mentioned) get a view of their own: it shows them their own email, so
    its rendering cannot be shared."""
    base = posts_by_ids(post_ids=[post_id], viewer_id=None, shape=shape, keep_emails=True).get(
        post_id
    )
    if base is None:
        return {}
    people, post_ids = people_of(base), posts_of(base)
    # A feed event: the viewers' mutes hide it too (social/visibility.py, feed=True).
    flags = many_viewers(
        viewer_ids=viewer_ids, post_ids=post_ids, people=people, feed=True, locked=locked_of(base)
    )
    views: dict[Any, PostView | None] = {}
    shared: dict[int, PostView] = {}
    for viewer_id in viewer_ids:
        key = (flags.key(viewer_id, people, post_ids), viewer_id if viewer_id in people else None)
        if key not in views:
            views[key] = post_with_viewer(base, viewer_id, flags, feed=True)
        view = views[key]
        if view is not None:
            shared[viewer_id] = view
    return shared
