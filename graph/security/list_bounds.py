"""The most items each list field of the schema can return (the node limit: cost.py).

Every list field needs a bound here, and each bound holds because something enforces it
(tests/security/test_list_bounds.py fails on a list field without one):

- a connection (a field with a `first` argument) returns at most `first` edges (20 when
  absent): its `edges` are declared PAGE;
- a list of UserError has at most MAX_USER_ERRORS (graph/errors.py cuts, and the mutations
  that report one error per input item refuse more items);
- the lists read from a post's body hold at most what 500 characters can hold
  (social/text.py computes it, and the resolvers cut there);
- `sessions` lists at most MAX_SESSIONS_LISTED (social/services/sessions.py slices there);
- the introspection lists are at most the longest such list of the schema itself.
"""

from collections.abc import Callable
from functools import cache
from typing import Final

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
)

from graph.errors import MAX_USER_ERRORS
from social.services.media import MAX_MEDIA_PER_POST
from social.services.sessions import MAX_SESSIONS_LISTED
from social.text import MAX_HASHTAGS_PER_POST, MAX_MENTIONS_PER_POST


class Page:
    """The edges of a connection: at most the `first` of the field that returned it."""

    def __repr__(self) -> str:
        return "PAGE"


PAGE: Final = Page()

# Lists of these types, wherever they appear.
BOUNDS_BY_ITEM_TYPE: dict[str, int | Page] = {
    "UserError": MAX_USER_ERRORS,
    "PostEdge": PAGE,
    "UserEdge": PAGE,
    "NotificationEdge": PAGE,
}

# Other list fields, as "Type.field".
BOUNDS_BY_FIELD: dict[str, int | Page] = {
    "Post.mentions": MAX_MENTIONS_PER_POST,
    "Post.hashtags": MAX_HASHTAGS_PER_POST,
    "Post.media": MAX_MEDIA_PER_POST,
    "Query.sessions": MAX_SESSIONS_LISTED,
}


def _longest(lengths: list[int]) -> int:
    return max(lengths, default=0)


# The introspection lists, measured on the schema they describe (all items, deprecated too).
_INTROSPECTION: dict[str, Callable[[GraphQLSchema], int]] = {
    "__Schema.types": lambda schema: len(schema.type_map),
    "__Schema.directives": lambda schema: len(schema.directives),
    "__Type.fields": lambda schema: _longest(
        [
            len(t.fields)
            for t in schema.type_map.values()
            if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))
        ]
    ),
    "__Type.interfaces": lambda schema: _longest(
        [
            len(t.interfaces)
            for t in schema.type_map.values()
            if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))
        ]
    ),
    "__Type.possibleTypes": lambda schema: _longest(
        [
            len(schema.get_possible_types(t))
            for t in schema.type_map.values()
            if isinstance(t, (GraphQLInterfaceType, GraphQLUnionType))
        ]
    ),
    "__Type.enumValues": lambda schema: _longest(
        [len(t.values) for t in schema.type_map.values() if isinstance(t, GraphQLEnumType)]
    ),
    "__Type.inputFields": lambda schema: _longest(
        [len(t.fields) for t in schema.type_map.values() if isinstance(t, GraphQLInputObjectType)]
    ),
    "__Field.args": lambda schema: _longest(
        [
            len(field.args)
            for t in schema.type_map.values()
            if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType))
            for field in t.fields.values()
        ]
    ),
    "__Directive.args": lambda schema: _longest([len(d.args) for d in schema.directives]),
    "__Directive.locations": lambda schema: _longest([len(d.locations) for d in schema.directives]),
}


@cache  # one entry per schema object (a handful per process)
def _introspection_bounds(schema: GraphQLSchema) -> dict[str, int]:
    return {name: measure(schema) for name, measure in _INTROSPECTION.items()}


def list_bound(
    schema: GraphQLSchema, type_name: str, field_name: str, item_type: str
) -> int | Page | None:
    """The declared bound of the list field `type_name.field_name` of `item_type` items;
    None when it has none (a connection's `first` is read by the cost walk itself)."""
    key = f"{type_name}.{field_name}"
    if key in BOUNDS_BY_FIELD:
        return BOUNDS_BY_FIELD[key]
    if item_type in BOUNDS_BY_ITEM_TYPE:
        return BOUNDS_BY_ITEM_TYPE[item_type]
    return _introspection_bounds(schema).get(key)
