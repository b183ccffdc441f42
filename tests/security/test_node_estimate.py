"""The node limit is an upper bound of what execution returns, for generated documents.

Hypothesis writes query documents over the whole schema (nested connections and lists,
fragments, inline fragments, aliases, introspection, and `first` in every form a client
can send it: literal, variable, float variable, null, a variable's default) and runs each
on seeded data. Whatever a document returns, a node limit below that count refuses it.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import override_settings
from graphql import (
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_composite_type,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from graph.context import Context
from graph.ids import global_id
from graph.schema import schema
from notifications.models import Notification
from social.models import Post, User
from tests.factories import make_follow, make_like, make_post, make_user

pytestmark = pytest.mark.django_db

GRAPHQL: GraphQLSchema = schema._schema
MAX_DEPTH = 6
NO_LIMIT = 10**12
INTROSPECTION_DEPTH = "Maximum introspection depth exceeded"
OTHER_LIMITS_OFF = {
    "GRAPHQL_MAX_DEPTH": 100,
    "GRAPHQL_MAX_ALIASES": 10_000,
    "GRAPHQL_MAX_TOKENS": 100_000,
}


@dataclass(frozen=True)
class Seeded:
    viewer: User
    usernames: list[str]
    ids: list[str]  # global ids of posts, users and notifications


@pytest.fixture
def seeded(db: None) -> Seeded:
    """Six users who all follow each other; 30 posts with tags, mentions, replies and likes."""
    users = [make_user(f"u{i}") for i in range(6)]
    for a in users:
        for b in users:
            if a is not b:
                make_follow(a, b)
    posts: list[Post] = []
    for i in range(30):
        author = users[i % 6]
        mentions = " ".join(f"@u{(i + k) % 6}" for k in range(1, 1 + i % 4))
        body = f"post {i} #tag{i % 3} #all #t{i} {mentions}"
        parent = posts[i - 1] if i % 4 == 3 else None
        posts.append(make_post(author, body, reply_to=parent))
    for i, post in enumerate(posts):
        for user in users[: i % 5]:
            make_like(user, post)
    viewer = users[0]
    ids = [global_id("Post", p.pk) for p in posts[:5]] + [global_id("User", u.pk) for u in users]
    ids += [
        global_id("Notification", n.pk)
        for n in Notification.objects.filter(recipient=viewer).order_by("pk")[:5]
    ]
    return Seeded(viewer=viewer, usernames=[u.username for u in users], ids=ids)


@dataclass
class Document:
    """A query document under construction from Hypothesis draws."""

    draw: Any
    seeded: Seeded
    variable_definitions: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    fragments: list[str] = field(default_factory=list)
    counter: int = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def variable(self, graphql_type: str, value: Any, *, default: str | None = None) -> str:
        name = self.fresh("v")
        suffix = f" = {default}" if default is not None else ""
        self.variable_definitions.append(f"${name}: {graphql_type}{suffix}")
        if value is not _ABSENT:
            self.variables[name] = value
        return f"${name}"

    def first(self) -> str | None:
        """`first` in one of the forms a client may send it, or None to leave it out."""
        n = self.draw(st.integers(0, 25))
        form = self.draw(
            st.sampled_from(
                [
                    "absent",
                    "literal",
                    "variable",
                    "float",
                    "null",
                    "literal null",
                    "default",
                    "no default",
                    "default overridden",
                    "non-null",
                ]
            )
        )
        if form == "absent":
            return None
        if form == "literal":
            return str(n)
        if form == "literal null":
            return "null"
        if form == "variable":
            return self.variable("Int", n)
        if form == "float":  # graphql-core coerces 7.0 to 7 for an Int
            return self.variable("Int", float(n))
        if form == "null":
            return self.variable("Int", None)
        if form == "default":
            return self.variable("Int", _ABSENT, default=str(n))
        if form == "no default":
            return self.variable("Int", _ABSENT)
        if form == "default overridden":
            return self.variable("Int", n, default="1")
        return self.variable("Int!", n)

    def string(self, graphql_type: str, choices: list[str]) -> str:
        value = self.draw(st.sampled_from(choices))
        if self.draw(st.booleans()):
            return self.variable(graphql_type, value)
        return f'"{value}"'

    def arguments(self, definition: GraphQLField) -> str:
        given: list[str] = []
        for name in definition.args:
            if name == "first":
                value = self.first()
            elif name in ("id",):
                value = self.string("ID!", self.seeded.ids)
            elif name == "username":
                value = self.string("String!", self.seeded.usernames)
            elif name == "query":
                value = self.string("String!", ["u", "u1", "nobody"])
            elif name == "tag":
                value = self.string("String!", ["tag0", "#All", "t3", "none"])
            elif name == "name":  # __type(name:)
                value = self.string("String!", ["Post", "User", "Query", "__Type"])
            elif name == "unreadOnly":
                value = self.draw(st.sampled_from([None, "true", "false"]))
            else:  # after, includeDeprecated: left to their defaults
                value = None
            if value is not None:
                given.append(f"{name}: {value}")
        return f"({', '.join(given)})" if given else ""

    def selection(self, parent: GraphQLNamedType, depth: int) -> str:
        """A selection set's content on `parent`, possibly in fragments."""
        if isinstance(parent, GraphQLInterfaceType):
            parts = ["__typename"]
            for impl in GRAPHQL.get_possible_types(parent):
                if self.draw(st.booleans()):
                    parts.append(f"... on {impl.name} {{ {self.selection(impl, depth)} }}")
            return " ".join(parts)
        assert isinstance(parent, GraphQLObjectType)
        names = sorted(parent.fields)
        if parent is GRAPHQL.query_type:
            names += ["__schema", "__type"]
        if depth >= MAX_DEPTH:
            names = [n for n in names if not is_composite_type(_field(parent, n).type)] or [
                "__typename"
            ]
        chosen = self.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))
        parts = [self.field(parent, name, depth) for name in chosen]
        body = " ".join(parts)
        wrap = self.draw(st.sampled_from(["plain", "inline", "bare inline", "fragment", "twice"]))
        if wrap == "inline":
            return f"... on {parent.name} {{ {body} }}"
        if wrap == "bare inline":
            return f"... {{ {body} }}"
        if wrap in ("fragment", "twice"):
            name = self.fresh("F")
            self.fragments.append(f"fragment {name} on {parent.name} {{ {body} }}")
            return f"...{name}" if wrap == "fragment" else f"...{name} ...{name}"
        return body

    def field(self, parent: GraphQLObjectType, name: str, depth: int) -> str:
        if name == "__typename":
            return name
        definition = _field(parent, name)
        arguments = self.arguments(definition)
        # Fields with arguments get their own response key, so no two clash when merged.
        alias = f"{self.fresh('a')}: " if arguments or self.draw(st.booleans()) else ""
        child = get_named_type(definition.type)
        if not is_composite_type(child):
            return f"{alias}{name}{arguments}"
        return f"{alias}{name}{arguments} {{ {self.selection(child, depth + 1)} }}"

    def text(self, root: str) -> str:
        variables = ", ".join(self.variable_definitions)
        definitions = f"({variables})" if variables else ""
        return f"query Generated{definitions} {{ {root} }} " + " ".join(self.fragments)


_ABSENT = object()


def _field(parent: GraphQLObjectType, name: str) -> GraphQLField:
    if name == "__schema":
        from graphql.type.introspection import SchemaMetaFieldDef

        return SchemaMetaFieldDef
    if name == "__type":
        from graphql.type.introspection import TypeMetaFieldDef

        return TypeMetaFieldDef
    return parent.fields[name]


def _items(value: Any) -> Iterator[int]:
    """The length of every list in a response, at any depth."""
    if isinstance(value, list):
        yield len(value)
        for item in value:
            yield from _items(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _items(item)


def _run(query: str, variables: dict[str, Any], viewer: User) -> Any:
    return schema.execute_sync(
        query, variable_values=variables, context_value=Context(viewer_id=viewer.pk)
    )


def _refused(result: Any) -> bool:
    return result.data is None and any(
        (e.extensions or {}).get("code") == "QUERY_TOO_COMPLEX" and "nodes" in e.message
        for e in result.errors or ()
    )


@given(data=st.data())
@settings(
    max_examples=120,
    database=None,  # nothing written beside the project
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_document_returns_more_items_than_the_node_limit_lets_through(
    data: Any, seeded: Seeded
) -> None:
    document = Document(draw=data.draw, seeded=seeded)
    query = document.text(document.selection(GRAPHQL.query_type, 0))

    # override_settings, not pytest-django's `settings`: that one stacks a layer per
    # assignment, and hundreds of examples would overflow the stack.
    with override_settings(GRAPHQL_MAX_NODES=NO_LIMIT, **OTHER_LIMITS_OFF):
        result = _run(query, document.variables, seeded.viewer)
    # Refused before running, so nothing returned: graphql-core's own limit on nested
    # introspection, or a count past even this limit (deep lists of introspection).
    # Hypothesis fails the test if it has to discard too many documents.
    assume(
        not (
            result.data is None
            and {e.message for e in result.errors or ()} == {INTROSPECTION_DEPTH}
        )
    )
    assume(not _refused(result))
    assert not result.errors, (query, document.variables, result.errors)
    returned = sum(_items(result.data))

    if returned > 0:
        # Any limit below what it returned must refuse it before it runs.
        with override_settings(GRAPHQL_MAX_NODES=returned - 1, **OTHER_LIMITS_OFF):
            refused = _run(query, document.variables, seeded.viewer)
        assert _refused(refused), (query, document.variables, returned, refused)
