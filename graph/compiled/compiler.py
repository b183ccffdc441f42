"""One root field's selection -> one SQL statement returning that field's JSON text.

The compiler knows the contract's User, Post and Notification fields and their
connections, and the root fields publicFeed, homeFeed, hashtagFeed, notifications,
searchUsers, user, post, node and me. Anything else raises Fallback, and the root field runs
through the normal executor. Fields are collected by graphql-core's own executor (aliases,
fragments, inline fragments, @include/@skip), so the selection is exactly the one it would
execute.

A statement depends on the document and on the request only through what the plan cache
keys on (plan_cache.shape_key): whether a viewer is signed in, and the values of Int and
Boolean variables (page sizes are literal LIMITs, so PostgreSQL plans a statement once).
Everything else the request supplies (cursors, ids, tags, usernames, the viewer's id) is
read by a binder at each execution and sent as a parameter.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import count
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import DateTimeField, Field, IntegerField
from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    VariableValues,
    get_argument_values,
)

from graph.compiled import sql
from graph.compiled.visibility import cast_of, spliced
from graph.errors import CodedError
from graph.ids import parse_global_id
from graph.internals import FieldGroup, node_of
from graph.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, cursor_date, decode_cursor
from notifications.models import Notification
from social.media.storage import media_url_prefix
from social.models import Follow, Post, PostHashtag, PostMention, User
from social.reads.flags import (
    blocks_viewer_sql,
    follow_requested_sql,
    follows_viewer_sql,
    liked_sql,
    viewer_blocks_sql,
    viewer_follows_sql,
)
from social.services.media import MAX_MEDIA_PER_POST
from social.text import MAX_HASHTAGS_PER_POST, MAX_MENTIONS_PER_POST, normalize_hashtag
from social.visibility import (
    NOW,
    SqlFragment,
    notifications_sql,
    now_param,
    posts_sql,
    users_sql,
    viewer_mutes_sql,
)

POSTS = Post._meta.db_table
USERS = User._meta.db_table
FOLLOWS = Follow._meta.db_table
TAGS = PostHashtag._meta.db_table
MENTIONS = PostMention._meta.db_table
NOTIFICATIONS = Notification._meta.db_table
# Keeps PostgreSQL from turning a list's per-row check into a join: a generic plan cannot know
# that one user has 30,000 posts or followers, and would read and sort them all for a page;
# this way it walks the list's index in order and stops at the page's end.
PER_ROW = "OFFSET 0"
# The viewer's flags on a user, as the rule book writes them in SQL (social/reads/flags.py).
USER_FLAGS: dict[str, Callable[..., SqlFragment]] = {
    "viewerFollows": viewer_follows_sql,
    "followsViewer": follows_viewer_sql,
    "viewerMutes": viewer_mutes_sql,
    "viewerBlocks": viewer_blocks_sql,
    "blocksViewer": blocks_viewer_sql,
    "viewerFollowRequested": follow_requested_sql,
}


class Fallback(Exception):
    """This root field, with these arguments, runs through the normal executor."""


@dataclass(frozen=True, slots=True)
class Bind:
    """What a statement's binders read at each execution."""

    variables: VariableValues
    viewer_id: int | None


Binder = Callable[[Bind], Any]


# A named placeholder of a statement, or a literal percent (psycopg's forms).
_PLACEHOLDER = re.compile(r"%%|%\(p(\d+)\)s")


def _native(text: str) -> tuple[str, tuple[int, ...]]:
    """`text` with PostgreSQL's own `$n` placeholders (and `%%` as `%`), and the index of
    the binder of each `$n`, in order."""
    order: list[int] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) is None:
            return "%"
        index = int(match.group(1))
        if index not in order:
            order.append(index)
        return f"${order.index(index) + 1}"

    return _PLACEHOLDER.sub(number, text), tuple(order)


@dataclass(frozen=True, slots=True)
class Statement:
    """One root field's SQL and the binders of its parameters, in order; or, when the
    answer needs no database (a malformed id), its JSON text as `constant`.

    `sql` names its parameters (`%(p0)s`: how the query log shows it, with `params`);
    `native` is the same statement with `$n` placeholders, run with `values`: psycopg
    converts a named statement on every execution when it is over 4 KB, as pages are."""

    sql: str
    binders: tuple[Binder, ...]
    constant: str | None = None
    native: str = ""
    order: tuple[int, ...] = ()

    @classmethod
    def of(cls, sql: str, binders: tuple[Binder, ...]) -> "Statement":
        native, order = _native(sql)
        return cls(sql=sql, binders=binders, native=native, order=order)

    def params(self, bind: Bind) -> dict[str, Any]:
        return {f"p{index}": binder(bind) for index, binder in enumerate(self.binders)}

    def values(self, bind: Bind) -> list[Any]:
        """The values of `native`'s parameters."""
        binders = self.binders
        return [binders[index](bind) for index in self.order]


@dataclass(frozen=True, slots=True)
class _Key:
    """A keyset column of a connection: its expression on the page's source rows, how a
    cursor writes it, and the model field that converts a cursor's value as a filter would."""

    expr: str
    kind: str  # "datetime" | "integer" | "text"
    field: "Field[Any, Any]"


# How a cursor's value of each key kind is sent to PostgreSQL.
_KEY_CASTS = {"datetime": "timestamptz", "integer": "bigint", "text": "text"}


@dataclass(frozen=True, slots=True)
class _Source:
    """The rows of a connection: `select` (the node's table row) `body` (FROM ... WHERE ...).

    `by_author`: the page merges per-author pages (the home feed). It holds the FROM items
    of the authors (their user rows joined, under the alias the visibility rule reads), and
    `body` reads one author's posts (`pk` their id's expression): each author's page is
    read through its own top-N on post_author_created_idx, the keys only, and only the
    merged page's rows are read whole.
    """

    select: str
    body: str
    keys: tuple[_Key, ...]
    descending: bool
    cursor_kind: str
    node_type: str  # "Post" | "User" | "Notification"
    by_author: str | None = None
    pk: str = ""


def _argument(
    field_def: GraphQLField, node: FieldNode, variables: VariableValues, name: str
) -> Any:
    return get_argument_values(field_def, node, variables).get(name)


def _cursor_value(value: Any, field: "Field[Any, Any]") -> Any:
    # A value PostgreSQL cannot take (a date offset over 15:59 or out of its years) falls
    # back: the normal executor answers it as a bad cursor or an empty page, not as a
    # database error.
    try:
        if isinstance(field, DateTimeField):
            return cursor_date(field, value)
        prepared = field.get_prep_value(value)
    except (ValueError, TypeError, OverflowError, ValidationError) as exc:
        raise Fallback("after") from exc
    # Cursors made here hold ids as numbers. An id written as a string escapes decode_cursor's
    # range check ("99999999999999999999" is no bigint) and the notifications list refuses
    # it: the normal executor answers such a cursor as it does.
    if isinstance(prepared, int) and not isinstance(value, int):
        raise Fallback("after")
    return prepared


class Compiler:
    """Compiles one root field; `viewer_signed_in` is part of the plan's key."""

    def __init__(
        self,
        schema: GraphQLSchema,
        subfields: Callable[[GraphQLObjectType, FieldGroup], Mapping[str, FieldGroup]],
        *,
        variables: VariableValues,
        viewer_signed_in: bool,
    ) -> None:
        self.schema = schema
        self._subfields = subfields
        self.variables = variables
        self.signed_in = viewer_signed_in
        self.binders: list[Binder] = []
        self._aliases = count(1)
        self._viewer: str | None = None

    # -- plumbing ---------------------------------------------------------------------

    def param(self, binder: Binder, cast: str | None) -> str:
        # Named: the SQL text does not hold the parameters in the order they are made.
        name = f"p{len(self.binders)}"
        self.binders.append(binder)
        return f"%({name})s::{cast}" if cast else f"%({name})s"

    def viewer(self) -> str:
        # One parameter wherever the statement needs the viewer's id.
        if self._viewer is None:
            self._viewer = self.param(lambda bind: bind.viewer_id, "bigint")
        return self._viewer

    def constant(self, value: Any) -> str:
        if value is NOW:  # the time of the read, as the rule book's other forms take it
            return self.param(lambda bind: now_param(), "timestamptz")
        return self.param(lambda bind: value, cast_of(value))

    # -- visibility: every condition from social/visibility.py, spliced -----------------

    def rule(self, fragment: SqlFragment) -> str:
        return spliced(fragment, viewer=self.viewer, value=self.constant)

    def visible_user(self, user: str, *, listed: bool = False) -> str:
        """The viewer may see the user row at alias `user` (`listed`: in a list of users)."""
        return self.rule(users_sql(user=user, listed=listed))

    def visible_post(self, post: str, author: str, *, feed: bool = False) -> str:
        """The viewer may see the post row at `post`, whose author's row is at `author`."""
        return self.rule(posts_sql(post=post, author=author, feed=feed))

    def alias(self, prefix: str) -> str:
        return f"{prefix}{next(self._aliases)}"

    def type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType)
        return found

    def fields(self, type_name: str, group: FieldGroup) -> list[tuple[str, str, FieldGroup]]:
        """(response key, field name, field group) of the selection on `type_name`."""
        collected = self._subfields(self.type(type_name), group)
        return [(key, node_of(details).name.value, details) for key, details in collected.items()]

    def field_def(self, type_name: str, name: str) -> GraphQLField:
        return self.type(type_name).fields[name]

    def argument(self, type_name: str, group: FieldGroup, name: str) -> Any:
        """An argument's value for this request (compile time: only for what the plan
        cache keys on, Int and Boolean values, and whether a value is given)."""
        node = node_of(group)
        return _argument(self.field_def(type_name, node.name.value), node, self.variables, name)

    def argument_binder(self, type_name: str, group: FieldGroup, name: str) -> Binder:
        node = node_of(group)
        field_def = self.field_def(type_name, node.name.value)
        return lambda bind: _argument(field_def, node, bind.variables, name)

    @staticmethod
    def obj(entries: list[tuple[str, str]]) -> str:
        """The JSON text of an object from (response key, JSON text expression) pairs."""
        if not entries:
            return "'{}'"
        parts = []
        for index, (key, expr) in enumerate(entries):
            parts.append(sql.literal(("{" if index == 0 else ",") + sql.key(key)))
            parts.append(f"({expr})")
        parts.append("'}'")
        return " || ".join(parts)

    # -- objects ----------------------------------------------------------------------

    def post(self, p: str, group: FieldGroup) -> str:
        return self.obj(
            [(key, self.post_field(p, name, g)) for key, name, g in self.fields("Post", group)]
        )

    def post_field(self, p: str, name: str, group: FieldGroup) -> str:
        match name:
            case "__typename":
                return "'\"Post\"'"
            case "id":
                return sql.global_id("Post", f"{p}.id")
            case "body":
                return sql.string(f"{p}.body")
            case "createdAt":
                return sql.datetime(f"{p}.created_at")
            case "editedAt":
                return sql.datetime(f"{p}.edited_at", nullable=True)
            case "replyCount":
                return sql.integer(f"{p}.reply_count")
            case "likeCount":
                return sql.integer(f"{p}.like_count")
            case "viewerHasLiked":
                if not self.signed_in:
                    return "'false'"
                return sql.boolean(self.rule(liked_sql(post=f"{p}.id")))
            case "hashtags":
                tag, kept = self.alias("h"), self.alias("x")
                # At most the bound the node limit counts, as the read model cuts.
                return (
                    f"coalesce((SELECT json_agg({kept}.tag ORDER BY {kept}.position)::text"
                    f" FROM (SELECT {tag}.tag, {tag}.position FROM {TAGS} {tag}"
                    f" WHERE {tag}.post_id = {p}.id ORDER BY {tag}.position"
                    f" LIMIT {int(MAX_HASHTAGS_PER_POST)}) {kept}), '[]')"
                )
            case "mentions":
                link, user, kept = self.alias("m"), self.alias("u"), self.alias("x")
                # The visible mentions, at most the bound the node limit counts.
                return (
                    f"'[' || coalesce((SELECT string_agg({kept}.j, ',' ORDER BY {kept}.position)"
                    f" FROM (SELECT {self.user(user, group)} AS j, {link}.position"
                    f" FROM {MENTIONS} {link} JOIN {USERS} {user} ON {user}.id = {link}.user_id"
                    f" WHERE {link}.post_id = {p}.id AND {self.visible_user(user, listed=True)}"
                    f" ORDER BY {link}.position LIMIT {int(MAX_MENTIONS_PER_POST)}) {kept}), '')"
                    " || ']'"
                )
            case "author":
                user = self.alias("u")
                return (
                    f"(SELECT {self.user(user, group)} FROM {USERS} {user}"
                    f" WHERE {user}.id = {p}.author_id)"
                )
            case "replyTo":
                return self.post_or_null(f"{p}.reply_to_id", group)
            case "replies":
                return self.connection("Post", group, self.replies_source(p))
            case "media":
                item, place = self.alias("e"), self.alias("o")
                # At most the bound the node limit counts, as the read model cuts.
                return (
                    f"'[' || coalesce((SELECT string_agg({self.media(item, group)}, ','"
                    f" ORDER BY {place}) FROM jsonb_array_elements({p}.media_json)"
                    f" WITH ORDINALITY AS x{item}({item}, {place})"
                    f" WHERE {place} <= {int(MAX_MEDIA_PER_POST)}), '') || ']'"
                )
        raise Fallback(f"Post.{name}")

    def media_prefix(self) -> str:
        """The URL prefix of stored names, read at each execution (the request's origin)."""
        if media_url_prefix() is None:
            raise Fallback("signed media URLs")  # signed by Python, per URL
        return self.param(lambda bind: media_url_prefix(), "text")

    def media(self, j: str, group: FieldGroup) -> str:
        """The Media object of the jsonb value `j` (Media.as_json)."""
        return self.obj(
            [(key, self.media_field(j, name)) for key, name, _ in self.fields("Media", group)]
        )

    def media_field(self, j: str, name: str) -> str:
        match name:
            case "__typename":
                return "'\"Media\"'"
            case "id":
                return sql.global_id("Media", f"({j}->>'id')::bigint")
            case "url":
                return sql.string(f"{self.media_prefix()} || ({j}->>'file')")
            case "thumbnailUrl":
                return sql.string(f"{self.media_prefix()} || ({j}->>'thumb')")
            case "width" | "height":
                return sql.integer(f"({j}->>'{name}')::int")
            case "mimeType":
                return sql.string(f"{j}->>'mime'")
            case "altText":
                return sql.string(f"{j}->>'alt'")
        raise Fallback(f"Media.{name}")

    def user(self, u: str, group: FieldGroup) -> str:
        return self.obj(
            [(key, self.user_field(u, name, g)) for key, name, g in self.fields("User", group)]
        )

    def user_field(self, u: str, name: str, group: FieldGroup) -> str:
        match name:
            case "__typename":
                return "'\"User\"'"
            case "id":
                return sql.global_id("User", f"{u}.id")
            case "username":
                return sql.string(f"{u}.username")
            case "displayName":
                return sql.string(f"{u}.display_name")
            case "bio":
                return sql.string(f"{u}.bio")
            case "avatarUrl":
                # An uploaded avatar's thumbnail, else the URL given (social/reads).
                given = sql.string(f"{u}.avatar_url", nullable=True)
                thumbnail = sql.string(f"{self.media_prefix()} || ({u}.avatar_json->>'thumb')")
                return f"CASE WHEN {u}.avatar_json IS NULL THEN {given} ELSE {thumbnail} END"
            case "avatar":
                picture = f"{u}.avatar_json"
                return (
                    f"CASE WHEN {picture} IS NULL THEN 'null' ELSE {self.media(picture, group)} END"
                )
            case "dateJoined":
                return sql.datetime(f"{u}.date_joined")
            case "followerCount":
                return sql.integer(f"{u}.follower_count")
            case "followingCount":
                return sql.integer(f"{u}.following_count")
            case "postCount":
                return sql.integer(f"{u}.post_count")
            case "isLocked":
                return sql.boolean(f"{u}.is_locked")
            case "email" | "emailVerified":
                if not self.signed_in:
                    return "'null'"
                own = (
                    sql.string(f"{u}.email")
                    if name == "email"
                    else sql.boolean(f"{u}.email_verified_at IS NOT NULL")
                )
                return f"CASE WHEN {u}.id = {self.viewer()} THEN {own} ELSE 'null' END"
            case _ if name in USER_FLAGS:
                if not self.signed_in:
                    return "'false'"
                return sql.boolean(self.rule(USER_FLAGS[name](user=f"{u}.id")))
            case "posts":
                return self.connection("User", group, self.user_posts_source(u))
            case "followers" | "following":
                return self.connection("User", group, self.follow_source(u, name))
        raise Fallback(f"User.{name}")

    def notification(self, n: str, group: FieldGroup) -> str:
        fields = self.fields("Notification", group)
        return self.obj([(key, self.notification_field(n, name, g)) for key, name, g in fields])

    def notification_field(self, n: str, name: str, group: FieldGroup) -> str:
        match name:
            case "__typename":
                return "'\"Notification\"'"
            case "id":
                return sql.global_id("Notification", f"{n}.id")
            case "kind":
                return sql.string(f"{n}.kind")
            case "createdAt":
                return sql.datetime(f"{n}.created_at")
            case "read":
                return sql.boolean(f"{n}.read_at IS NOT NULL")
            case "actor":
                # The row is listed only while its actor is visible (notifications_source).
                user = self.alias("u")
                return (
                    f"(SELECT {self.user(user, group)} FROM {USERS} {user}"
                    f" WHERE {user}.id = {n}.actor_id)"
                )
            case "post":
                return self.post_or_null(f"{n}.post_id", group)
        raise Fallback(f"Notification.{name}")

    def post_or_null(self, pk: str, group: FieldGroup) -> str:
        """The post whose id is `pk`, or null when there is none or the viewer may not see it."""
        post, author = self.alias("p"), self.alias("a")
        return (
            f"coalesce((SELECT {self.post(post, group)} FROM {POSTS} {post} JOIN {USERS} {author}"
            f" ON {author}.id = {post}.author_id"
            f" WHERE {post}.id = {pk} AND {self.visible_post(post, author)}), 'null')"
        )

    def node(self, type_name: str, alias: str, group: FieldGroup) -> str:
        if type_name == "Post":
            return self.post(alias, group)
        if type_name == "User":
            return self.user(alias, group)
        return self.notification(alias, group)

    # -- connections ------------------------------------------------------------------

    def page_size(self, owner: str, group: FieldGroup) -> int:
        first = self.argument(owner, group, "first")
        if first is None:
            return DEFAULT_PAGE_SIZE
        if first < 0 or first > MAX_PAGE_SIZE:
            raise Fallback("first")  # the executor's BAD_USER_INPUT error
        return int(first)

    def connection(self, owner: str, group: FieldGroup, source: _Source) -> str:
        """A connection as a scalar subquery: one keyset page of `source` (size + 1 rows,
        the last telling whether there is a next page), its edges and pageInfo."""
        size = self.page_size(owner, group)
        given_after = self.argument(owner, group, "after") is not None
        after = ""
        if given_after:
            after = self.after_condition(source, self.argument_binder(owner, group, "after"))
        row, ranked, page = self.alias("x"), self.alias("k"), self.alias("g")
        direction = "DESC" if source.descending else "ASC"
        keys = ", ".join(f"{key.expr} AS ck{i}" for i, key in enumerate(source.keys))
        order = ", ".join(f"{key.expr} {direction}" for key in source.keys)
        rank_order = ", ".join(f"{row}.ck{i} {direction}" for i in range(len(source.keys)))
        # Each row's cursor is written once, in the ranked rows, when the edges or pageInfo
        # use it (both do on a page with cursors and an endCursor).
        cursor = f"{ranked}.cur"
        cursor_column = sql.cursor_text(
            source.cursor_kind, [(f"{row}.ck{i}", key.kind) for i, key in enumerate(source.keys)]
        )
        connection_type = f"{source.node_type}Connection"
        aggregates = ["count(*) AS n"]
        entries: list[tuple[str, str]] = []
        cursors_needed = False
        for key, name, sub in self.fields(connection_type, group):
            if name == "__typename":
                entries.append((key, sql.literal(f'"{connection_type}"')))
            elif name == "edges":
                column = f"e{len(aggregates)}"
                edge = self.edge(source, ranked, cursor, sub)
                aggregates.append(
                    f"string_agg({edge}, ',' ORDER BY {ranked}.rn)"
                    f" FILTER (WHERE {ranked}.rn <= {size}) AS {column}"
                )
                entries.append((key, f"'[' || coalesce({page}.{column}, '') || ']'"))
            elif name == "pageInfo":
                info, uses_cursors = self.page_info(page, size, given_after, sub)
                cursors_needed = cursors_needed or uses_cursors
                entries.append((key, info))
            else:
                raise Fallback(f"{connection_type}.{name}")
        if cursors_needed:
            aggregates.append(
                f"array_agg({cursor} ORDER BY {ranked}.rn)"
                f" FILTER (WHERE {ranked}.rn <= {size}) AS cs"
            )
        if source.by_author is None:
            rows = (
                f"SELECT {source.select}, {keys} {source.body}{after} ORDER BY {order}"
                f" LIMIT {size + 1}"
            )
        else:
            rows = self.merged_rows(source, after, size, keys=keys, order=order)
        aggregated = ", ".join(aggregates)
        cursors = f", {cursor_column} AS cur" if cursor in aggregated else ""
        return (
            f"(SELECT {self.obj(entries)} FROM (SELECT {aggregated} FROM"
            f" (SELECT {row}.*, row_number() OVER (ORDER BY {rank_order}) AS rn{cursors} FROM"
            f" ({rows}) {row}) {ranked}) {page})"
        )

    def merged_rows(self, source: _Source, after: str, size: int, *, keys: str, order: str) -> str:
        """The page of a per-author source: each author's first size + 1 rows by the keys
        alone (index-only on (author, created_at, id): every visibility rule of a feed
        reads only the post's author), merged and cut to size + 1, then those rows read
        whole. The same rows as one ORDER BY over all the authors' posts, which read
        every post of every author with its heap page to keep 21."""
        top, whole = self.alias("t"), self.alias("p")
        direction = "DESC" if source.descending else "ASC"
        count_ = len(source.keys)
        merged_order = ", ".join(f"{top}.ck{i} {direction}" for i in range(count_))
        key_columns = ", ".join(f"{top}.ck{i}" for i in range(count_))
        return (
            f"SELECT {whole}.*, {key_columns} FROM (SELECT {top}.* FROM {source.by_author}"
            f" CROSS JOIN LATERAL (SELECT {source.pk} AS pk, {keys} {source.body}{after}"
            f" ORDER BY {order} LIMIT {size + 1}) {top}"
            f" ORDER BY {merged_order} LIMIT {size + 1}) {top}"
            f" JOIN {POSTS} {whole} ON {whole}.id = {top}.pk"
        )

    def edge(self, source: _Source, ranked: str, cursor: str, group: FieldGroup) -> str:
        edge_type = f"{source.node_type}Edge"
        entries = []
        for key, name, sub in self.fields(edge_type, group):
            if name == "__typename":
                entries.append((key, sql.literal(f'"{edge_type}"')))
            elif name == "cursor":
                entries.append((key, sql.quoted(cursor)))
            elif name == "node":
                entries.append((key, self.node(source.node_type, ranked, sub)))
            else:
                raise Fallback(f"{edge_type}.{name}")
        return self.obj(entries)

    def page_info(
        self, page: str, size: int, given_after: bool, group: FieldGroup
    ) -> tuple[str, bool]:
        entries = []
        uses_cursors = False
        for key, name, _ in self.fields("PageInfo", group):
            match name:
                case "__typename":
                    entries.append((key, "'\"PageInfo\"'"))
                case "hasNextPage":
                    entries.append((key, sql.boolean(f"{page}.n > {size}")))
                case "hasPreviousPage":
                    entries.append((key, "'true'" if given_after else "'false'"))
                case "startCursor":
                    uses_cursors = True
                    entries.append((key, f"coalesce({sql.quoted(f'{page}.cs[1]')}, 'null')"))
                case "endCursor":
                    uses_cursors = True
                    last = f"{page}.cs[array_upper({page}.cs, 1)]"
                    entries.append((key, f"coalesce({sql.quoted(last)}, 'null')"))
                case _:
                    raise Fallback(f"PageInfo.{name}")
        return self.obj(entries), uses_cursors

    def after_condition(self, source: _Source, after: Binder) -> str:
        """Rows strictly after the cursor in the page's order (graph.pagination._after_filter),
        with the first key's bound that lets PostgreSQL start the index scan there."""
        keys = source.keys
        arity = len(keys)

        def value(index: int) -> Binder:
            def bind(bind: Bind) -> Any:
                try:
                    values = decode_cursor(source.cursor_kind, after(bind), arity)
                except CodedError as exc:
                    raise Fallback("after") from exc
                return _cursor_value(values[index], keys[index].field)

            return bind

        casts = [_KEY_CASTS[key.kind] for key in keys]
        strict = "<" if source.descending else ">"
        bound = "<=" if source.descending else ">="
        first = f"{keys[0].expr} {bound} {self.param(value(0), casts[0])}"
        if arity == 1:
            return f" AND {first} AND {keys[0].expr} {strict} {self.param(value(0), casts[0])}"
        row = ", ".join(key.expr for key in keys)
        values = ", ".join(self.param(value(i), casts[i]) for i in range(arity))
        return f" AND {first} AND ({row}) {strict} ({values})"

    # -- sources ----------------------------------------------------------------------

    def posts_source(
        self,
        where: str,
        *,
        kind: str,
        descending: bool = True,
        join: str = "",
        feed: bool,
        authors: str | None = None,
    ) -> _Source:
        """Posts meeting `where` ({post} is their alias) that the viewer may see (`feed`: a
        feed's rules, for home, public and hashtag feeds). `authors`: a SELECT of user ids
        whose posts are merged per author (`_Source.by_author`)."""
        post, author = self.alias("p"), self.alias("a")
        visible = self.visible_post(post, author, feed=feed)
        where = where.format(post=post)
        keys = (
            _Key(f"{post}.created_at", "datetime", Post._meta.get_field("created_at")),
            _Key(f"{post}.id", "integer", Post._meta.pk),  # type: ignore[arg-type]
        )
        if authors is not None:
            listed = self.alias("w")
            return _Source(
                select=f"{post}.*",
                body=(
                    f"FROM {POSTS} {post}{join.format(post=post)} WHERE {post}.author_id ="
                    f" {author}.id AND {visible} AND {where}"
                ),
                keys=keys,
                descending=descending,
                cursor_kind=kind,
                node_type="Post",
                by_author=(
                    f"({authors}) {listed}(id) JOIN {USERS} {author} ON {author}.id = {listed}.id"
                ),
                pk=f"{post}.id",
            )
        if kind == "public":  # no list owner: the generic plan is the custom one
            body = (
                f"FROM {POSTS} {post} JOIN {USERS} {author} ON {author}.id = {post}.author_id"
                f" WHERE {visible} AND {where}"
            )
        else:
            body = (
                f"FROM {POSTS} {post}{join.format(post=post)} WHERE {where} AND EXISTS (SELECT 1"
                f" FROM {USERS} {author} WHERE {author}.id = {post}.author_id AND {visible}"
                f" {PER_ROW})"
            )
        return _Source(
            select=f"{post}.*",
            body=body,
            keys=keys,
            descending=descending,
            cursor_kind=kind,
            node_type="Post",
        )

    def home_source(self) -> _Source:
        """The viewer's posts and those of the users they follow (follow_not_self: no
        author twice), merged per author (`_Source.by_author`), every feed rule on each."""
        follow = self.alias("f")
        authors = (
            f"SELECT {follow}.followee_id FROM {FOLLOWS} {follow}"
            f" WHERE {follow}.follower_id = {self.viewer()} UNION ALL SELECT {self.viewer()}"
        )
        return self.posts_source("TRUE", kind="home", feed=True, authors=authors)

    def replies_source(self, parent: str) -> _Source:
        return self.posts_source(
            f"{{post}}.reply_to_id = {parent}.id", kind="replies", descending=False, feed=False
        )

    def user_posts_source(self, user: str) -> _Source:
        return self.posts_source(f"{{post}}.author_id = {user}.id", kind="posts", feed=False)

    def follow_source(self, user: str, name: str) -> _Source:
        link, other = self.alias("f"), self.alias("u")
        # followers: rows where the user is followed, showing the follower; following: the reverse.
        own, shown = (
            ("followee_id", "follower_id")
            if name == "followers"
            else ("follower_id", "followee_id")
        )
        return _Source(
            select=f"{other}.*",
            body=(
                f"FROM {FOLLOWS} {link} CROSS JOIN LATERAL (SELECT * FROM {USERS} {other}"
                f" WHERE {other}.id = {link}.{shown} AND {self.visible_user(other, listed=True)}"
                f" {PER_ROW}) {other} WHERE {link}.{own} = {user}.id"
            ),
            keys=(
                _Key(f"{link}.created_at", "datetime", Follow._meta.get_field("created_at")),
                _Key(f"{link}.id", "integer", Follow._meta.pk),  # type: ignore[arg-type]
            ),
            descending=True,
            cursor_kind=name,
            node_type="User",
        )

    # -- root fields ------------------------------------------------------------------

    def root(self, name: str, group: FieldGroup) -> Statement:
        expr = self.root_expr(name, group)
        if expr is None:
            return Statement(sql="", binders=(), constant="null")
        return Statement.of(f"SELECT {expr}", tuple(self.binders))

    def root_expr(self, name: str, group: FieldGroup) -> str | None:
        match name:
            case "publicFeed":
                # No replies, not even one whose parent was deleted (social.reads.posts.public).
                top_level = "{post}.reply_to_id IS NULL AND NOT {post}.is_reply"
                source = self.posts_source(top_level, kind="public", feed=True)
                return self.connection("Query", group, source)
            case "homeFeed":
                if not self.signed_in:
                    raise Fallback("homeFeed needs a viewer")  # UNAUTHENTICATED
                return self.connection("Query", group, self.home_source())
            case "hashtagFeed":
                return self.connection("Query", group, self.hashtag_source(group))
            case "searchUsers":
                return self.connection("Query", group, self.search_source(group))
            case "notifications":
                if not self.signed_in:
                    raise Fallback("notifications needs a viewer")  # UNAUTHENTICATED
                return self.connection("Query", group, self.notifications_source(group))
            case "me":
                if not self.signed_in:
                    return None
                return self.visible_user_row(self.viewer(), group)
            case "user":
                username = self.argument_binder("Query", group, "username")
                ascii_only = str(self.argument("Query", group, "username")).isascii()
                return self.visible_user_row(
                    self.param(lambda bind: _username(username(bind)), "text"),
                    group,
                    by_username=True,
                    ascii_only=ascii_only,
                )
            case "post":
                return self.post_by_id(group, self.argument("Query", group, "id"))
            case "node":
                return self.node_by_id(group, self.argument("Query", group, "id"))
        raise Fallback(f"Query.{name}")

    def hashtag_source(self, group: FieldGroup) -> _Source:
        tag_argument = self.argument_binder("Query", group, "tag")
        link = self.alias("h")
        tag = self.param(lambda bind: _tag(tag_argument(bind)), "text")
        source = self.posts_source(
            f"{link}.tag = {tag}",
            kind="hashtag",
            feed=True,
            join=f" JOIN {TAGS} {link} ON {link}.post_id = {{post}}.id",
        )
        # Sorted on the tag row (hashtag_feed_idx), whose copies equal the post's values.
        keys = (
            _Key(f"{link}.created_at", "datetime", PostHashtag._meta.get_field("created_at")),
            _Key(f"{link}.post_id", "integer", Post._meta.pk),  # type: ignore[arg-type]
        )
        return _Source(source.select, source.body, keys, True, "hashtag", "Post")

    def search_source(self, group: FieldGroup) -> _Source:
        """social.reads.users.search_rows: users whose username or display name holds the
        query (icontains), ranked 0 the exact username, 1 a prefix of either, 2 the rest."""
        given = self.argument_binder("Query", group, "query")
        user = self.alias("u")
        query = self.param(lambda bind: _search_query(given(bind)), "text")
        # Django's LIKE escaping (prep_for_like_query): PostgreSQL's escape is the backslash.
        escaped = f"replace(replace(replace({query}, '\\', '\\\\'), '%', '\\%'), '_', '\\_')"
        name, display = f"upper({user}.username::text)", f"upper({user}.display_name::text)"
        within, prefix = f"upper('%' || {escaped} || '%')", f"upper({escaped} || '%')"
        rank = (
            f"CASE WHEN {name} = upper({query}) THEN 0"
            f" WHEN ({name} LIKE {prefix} OR {display} LIKE {prefix}) THEN 1 ELSE 2 END"
        )
        return _Source(
            select=f"{user}.*",
            body=(
                f"FROM {USERS} {user} WHERE ({name} LIKE {within} OR {display} LIKE {within})"
                f" AND {self.visible_user(user, listed=True)}"
            ),
            keys=(
                _Key(rank, "integer", IntegerField()),
                _Key(f"lower({user}.username::text)", "text", User._meta.get_field("username")),
                _Key(f"{user}.id", "integer", User._meta.pk),  # type: ignore[arg-type]
            ),
            descending=False,
            cursor_kind="search",
            node_type="User",
        )

    def notifications_source(self, group: FieldGroup) -> _Source:
        row = self.alias("n")
        unread = (
            f" AND {row}.read_at IS NULL" if self.argument("Query", group, "unreadOnly") else ""
        )
        return _Source(
            select=f"{row}.*",
            body=(
                f"FROM {NOTIFICATIONS} {row}{self.visible_actor(row)}"
                f" WHERE {row}.recipient_id = {self.viewer()}{unread}"
            ),
            keys=(_Key(f"{row}.id", "integer", Notification._meta.pk),),  # type: ignore[arg-type]
            descending=True,
            cursor_kind="notifications",
            node_type="Notification",
        )

    def visible_actor(self, notification: str) -> str:
        """A join that keeps a notification only while the viewer may see its actor and
        the rule book lets its recipient see it (a mute with notifications hides it)."""
        actor = self.alias("a")
        return (
            f" JOIN {USERS} {actor} ON {actor}.id = {notification}.actor_id"
            f" AND {self.visible_user(actor)}"
            f" AND {self.rule(notifications_sql(notification=notification))}"
        )

    def visible_user_row(
        self, match: str, group: FieldGroup, *, by_username: bool = False, ascii_only: bool = False
    ) -> str:
        user = self.alias("u")
        condition = (
            f"upper({user}.username::text) = upper({match})"
            if by_username
            else f"{user}.id = {match}"
        )
        if by_username and ascii_only:
            # users_visible's iexact (the UPPER form) scans every user; for ASCII text the
            # LOWER form finds the same row through user_username_ci_unique, then rechecks.
            condition = f"lower({user}.username::text) = lower({match}) AND {condition}"
        return (
            f"coalesce((SELECT {self.user(user, group)} FROM {USERS} {user}"
            f" WHERE {condition} AND {self.visible_user(user)} ORDER BY {user}.id LIMIT 1), 'null')"
        )

    def id_param(self, group: FieldGroup) -> str:
        given = self.argument_binder("Query", group, "id")

        def pk(bind: Bind) -> int:
            parsed = parse_global_id(given(bind))
            assert parsed is not None  # the plan's key holds the id's type
            return parsed[1]

        return self.param(pk, "bigint")

    def post_by_id(self, group: FieldGroup, value: str) -> str | None:
        parsed = parse_global_id(value)
        if parsed is None or parsed[0] != "Post":
            return None
        return self.post_or_null(self.id_param(group), group)

    def node_by_id(self, group: FieldGroup, value: str) -> str | None:
        parsed = parse_global_id(value)
        if parsed is None:
            return None
        type_name = parsed[0]
        if type_name == "Post":
            return self.post_or_null(self.id_param(group), group)
        if type_name == "User":
            return self.visible_user_row(self.id_param(group), group)
        if type_name == "Notification":
            if not self.signed_in:
                return None
            row = self.alias("n")
            return (
                f"coalesce((SELECT {self.notification(row, group)} FROM {NOTIFICATIONS} {row}"
                f"{self.visible_actor(row)} WHERE {row}.id = {self.id_param(group)}"
                f" AND {row}.recipient_id = {self.viewer()}), 'null')"
            )
        raise Fallback(f"node of type {type_name}")  # another type's loader decides


def _username(value: str) -> str:
    # No username is empty, and PostgreSQL refuses NUL (user_by_username answers None).
    return "" if "\x00" in value else value.strip()


def _search_query(value: str) -> str:
    # A blank query matches nothing, and PostgreSQL refuses NUL: the executor answers both.
    query = value.strip()
    if not query or "\x00" in query:
        raise Fallback("blank search")
    return query


def _tag(value: str) -> str:
    # No stored tag is empty (hashtag_feed answers nothing for these).
    tag = normalize_hashtag(value)
    return "" if "\x00" in tag else tag
