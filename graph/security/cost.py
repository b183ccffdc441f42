"""The most list items ("nodes") an operation can return, worked out before it runs.

An upper bound of what execution returns, read from the document as the executor reads it:
argument values come from graphql-core's own coercion (`get_variable_values`, then
`get_argument_values` per field, as for the resolvers), so a `first` written as 100.0 or
left to a variable's default counts what the resolver will get. Per field:

- a connection (a field with a `first` argument) returns up to `first` edges (20 when null
  or absent) for each of its parents; its `edges` (declared PAGE) count that many each time
  they are selected, and it counts at least `first` even when no edges are selected;
- any other list field counts its declared bound (graph/security/list_bounds.py) per
  parent, and multiplies what is selected under it;
- every other field returns at most one object, multiplying nothing.

A named fragment is measured once per page size however often it is spread, so a
"fragment bomb" is measured in linear time. Counts are capped just over the limit.
"""

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from graph.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from graph.security.list_bounds import list_bound

FIRST = "first"


_NO_VARIABLES = VariableValues(sources={}, coerced={})


def _named_type(type_node: TypeNode) -> str:
    """ "Int" for `Int` and `Int!`; "" for a list."""
    if isinstance(type_node, NonNullTypeNode):
        type_node = type_node.type
    return type_node.name.value if isinstance(type_node, NamedTypeNode) else ""


def coerced_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, inputs: dict[str, Any] | None
) -> VariableValues:
    """The operation's Int variables as the executor will hand them to the resolvers.

    Only Int variables: `first` is an Int, and validation refuses a variable of another
    type in its place (VariablesInAllowedPosition). A variable graphql-core refuses counts
    as absent: the executor then refuses the whole operation before any resolver runs, so
    what it would count does not matter."""
    definitions = [
        definition
        for definition in operation.variable_definitions or ()
        if _named_type(definition.type) == "Int"
    ]
    if not definitions:
        return _NO_VARIABLES
    inputs = inputs if isinstance(inputs, dict) else {}
    values = get_variable_values(schema, definitions, inputs)
    if isinstance(values, VariableValues):
        return values
    sources: dict[str, Any] = {}
    coerced: dict[str, Any] = {}
    for definition in definitions:
        one = get_variable_values(schema, [definition], inputs)
        if isinstance(one, VariableValues):
            sources.update(one.sources)
            coerced.update(one.coerced)
    return VariableValues(sources=sources, coerced=coerced)


class NodeEstimate:
    """`estimate(operation)`: the most list items `operation` can return, at most `cap`."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        cap: int,
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        self._cap = cap
        self._known: dict[tuple[str, int | None], int] = {}
        self._in_progress: set[tuple[str, int | None]] = set()

    def estimate(self, operation: OperationDefinitionNode) -> int:
        root = self._schema.get_root_type(operation.operation)
        return 0 if root is None else self._cost(operation.selection_set, root, None)

    def _cost(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType, page: int | None
    ) -> int:
        """Items returned by one instance of `selection_set` on a `parent`; `page` is the
        page size of the connection when `parent` is one."""
        if selection_set is None:
            return 0
        total = 0
        cap = self._cap
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field_cost(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = condition and self._schema.get_type(condition.name.value)
                total += self._cost(selection.selection_set, target or parent, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment_cost(selection.name.value, page)
            if total >= cap:
                return cap
        return total

    def _fragment_cost(self, name: str, page: int | None) -> int:
        # Unknown or cyclic fragments measure 0: KnownFragmentNames and NoFragmentCycles
        # report them.
        key = (name, page)
        if key in self._known:
            return self._known[key]
        fragment = self._fragments.get(name)
        if fragment is None or key in self._in_progress:
            return 0
        self._in_progress.add(key)
        target = self._schema.get_type(fragment.type_condition.name.value)
        value = self._cost(fragment.selection_set, target, page) if target is not None else 0
        self._in_progress.discard(key)
        self._known[key] = value
        return value

    def _definition(self, field: FieldNode, parent: GraphQLNamedType) -> GraphQLField | None:
        name = field.name.value
        if name == "__schema" and parent is self._schema.query_type:
            return SchemaMetaFieldDef
        if name == "__type" and parent is self._schema.query_type:
            return TypeMetaFieldDef
        if isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return parent.fields.get(name)
        return None  # __typename, or an unknown field other rules report

    def _first(self, definition: GraphQLField, field: FieldNode) -> int:
        """The page size the resolver gets, from the coerced `first`."""
        # `first` alone: another argument's value (a missing required one) must not matter.
        only_first = GraphQLField(definition.type, args={FIRST: definition.args[FIRST]})
        try:
            value = get_argument_values(only_first, field, self._variables).get(FIRST)
        except GraphQLError:  # a literal of the wrong type: validation reports it
            value = None
        if isinstance(value, int) and not isinstance(value, bool):
            return max(value, 0)
        return DEFAULT_PAGE_SIZE

    def _field_cost(self, field: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        definition = self._definition(field, parent)
        if definition is None:
            return 0
        field_type = definition.type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        child = get_named_type(field_type)
        cap = self._cap
        if FIRST in definition.args:
            first = self._first(definition, field)
            if not isinstance(field_type, GraphQLList):
                # A connection: its edges count `first` each time they are selected.
                return min(max(first, self._cost(field.selection_set, child, first)), cap)
            bound = first
        elif isinstance(field_type, GraphQLList):
            declared = list_bound(self._schema, parent.name, field.name.value, child.name)
            if declared is None:
                # tests/security/test_list_bounds.py keeps every list field declared; a
                # field without a bound counts as over the limit rather than as nothing.
                return cap
            if isinstance(declared, int):
                bound = declared
            else:  # PAGE: the edges of the connection above
                bound = page if page is not None else MAX_PAGE_SIZE
        else:
            return self._cost(field.selection_set, child, None)
        return min(bound + bound * self._cost(field.selection_set, child, None), cap)
