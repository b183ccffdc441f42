"""The one module that reads private attributes of the libraries (listed in docs/internals.md
with their pinned versions; tests/graph/test_internals.py pins each one)."""

from graphql import FieldNode, FragmentDefinitionNode

from graph.context import Info


def field_nodes(info: Info) -> tuple[tuple[FieldNode, ...], dict[str, FragmentDefinitionNode]]:
    """The document nodes of the field being resolved and the document's fragments.

    Strawberry's public `info.selected_fields` converts the whole selection on each call;
    its graphql-core info holds the parsed nodes themselves, which the parser cache reuses
    for the same document, so what is derived from them can be cached per document."""
    raw = info._raw_info
    return tuple(raw.field_nodes), raw.fragments
