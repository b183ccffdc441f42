"""Depth and node-count limits, checked during validation, before any resolver runs.

Each walks the document once, counting a fragment once however often it is spread:
Strawberry's QueryDepthLimiter and MaxAliasesLimiter expand every spread again, which
takes exponential time on a "fragment bomb" (F0 spreads F1 twice, F1 spreads F2
twice, ...), so a 40-line query would hold a worker forever. tests/security pins it.

Nodes, in the manner of GitHub's GraphQL API: every field that takes `first` is a
connection and can return up to `first` nodes (20 when absent) for each of its
parents, so a request may return the sum, over its connections, of the product
of the `first` arguments on the path down to each.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    VariableNode,
    get_named_type,
)
from strawberry.extensions.utils import is_introspection_key

from graph.security.codes import QUERY_TOO_COMPLEX

# The contract's page size when a connection is asked for without `first`.
DEFAULT_FIRST = 20


class _PerFragment:
    """`measure(fragment)` worked out once per named fragment, however often it is spread
    (linear time even for "fragment bombs"). Unknown or cyclic fragments measure 0: the
    KnownFragmentNames and NoFragmentCycles rules report them."""

    def __init__(
        self, context: ValidationContext, measure: Callable[[FragmentDefinitionNode], int]
    ) -> None:
        self._context = context
        self._measure = measure
        self._known: dict[str, int] = {}
        self._in_progress: set[str] = set()

    def __call__(self, name: str) -> int:
        if name in self._known:
            return self._known[name]
        fragment = self._context.get_fragment(name)
        if fragment is None or name in self._in_progress:
            return 0
        self._in_progress.add(name)
        value = self._measure(fragment)
        self._in_progress.discard(name)
        self._known[name] = value
        return value


def _first_values(variables: dict[str, Any] | None) -> tuple[tuple[str, int | None], ...]:
    """What the node rule reads of the variables, hashable: each name, with its value when
    it is an int (a `first`) and None otherwise (present but not an int). Cursors and other
    values do not change the count, so requests that differ only in them share one rule
    class, and so one ValidationCache entry."""
    return tuple(
        sorted(
            (name, value if isinstance(value, int) and not isinstance(value, bool) else None)
            for name, value in (variables or {}).items()
        )
    )


def node_limit_rule(max_nodes: int, variables: dict[str, Any] | None) -> type[ValidationRule]:
    """A validation rule bound to this request's limit and variable values."""
    return _node_limit_rule(max_nodes, _first_values(variables))


# Rule classes are reused while the limit and the `first` values stay the same: Strawberry's
# ValidationCache keys on the rule classes, so a class built per request never hits.
# Bounded, because variable names and values come from clients.
@lru_cache(maxsize=256)
def _node_limit_rule(
    max_nodes: int, first_values: tuple[tuple[str, int | None], ...]
) -> type[ValidationRule]:
    values: dict[str, Any] = dict(first_values)
    # Counts are capped just over the limit: past it the exact number does not matter,
    # and the cap keeps products of huge `first` values small.
    cap = max_nodes + 1

    class NodeLimitRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            # Cost of one instance of a fragment.
            self._fragment_cost = _PerFragment(context, self._fragment_instance_cost)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            self._defaults = {
                d.variable.name.value: d.default_value for d in node.variable_definitions or ()
            }
            nodes = self._cost(node.selection_set, root)
            if nodes > max_nodes:
                name = node.name.value if node.name else "This operation"
                self.report_error(
                    GraphQLError(
                        f"{name} could return more than {max_nodes:,} nodes "
                        f"(each connection counts `first`, default {DEFAULT_FIRST}, "
                        "times the `first` of the connections above it). "
                        "Ask for smaller pages or split the query.",
                        node,
                        extensions={"code": QUERY_TOO_COMPLEX},
                    )
                )

        def _first(self, field: FieldNode) -> int:
            for argument in field.arguments or ():
                if argument.name.value != "first":
                    continue
                value: Any = argument.value
                if isinstance(value, VariableNode):
                    name = value.name.value
                    value = values[name] if name in values else self._defaults.get(name)
                if isinstance(value, IntValueNode):
                    value = int(value.value)
                if isinstance(value, int) and not isinstance(value, bool):
                    return max(value, 0)
            return DEFAULT_FIRST

        def _cost(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType) -> int:
            """Nodes returned by one instance of `selection_set` on a `parent`."""
            if selection_set is None:
                return 0
            total = 0
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    total += self._field_cost(selection, parent)
                elif isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    target = condition and self.context.schema.get_type(condition.name.value)
                    total += self._cost(selection.selection_set, target or parent)
                elif isinstance(selection, FragmentSpreadNode):
                    total += self._fragment_cost(selection.name.value)
                if total >= cap:
                    return cap
            return total

        def _field_cost(self, field: FieldNode, parent: GraphQLNamedType) -> int:
            if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
                return 0
            definition = parent.fields.get(field.name.value)
            if definition is None:  # __typename, or an unknown field other rules report
                return 0
            child = get_named_type(definition.type)
            below = self._cost(field.selection_set, child)
            if "first" not in definition.args:
                return below
            first = self._first(field)
            return min(first + first * below, cap)

        def _fragment_instance_cost(self, fragment: FragmentDefinitionNode) -> int:
            target = self.context.schema.get_type(fragment.type_condition.name.value)
            return self._cost(fragment.selection_set, target) if target is not None else 0

    return NodeLimitRule


@lru_cache(maxsize=32)  # one class per limit value: see _node_limit_rule
def depth_limit_rule(max_depth: int) -> type[ValidationRule]:
    """Nested selection sets: `{ me { id } }` has depth 1. Introspection is not counted."""

    class DepthLimitRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._fragment_depth = _PerFragment(
                context, lambda fragment: self._depth(fragment.selection_set)
            )

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            if self._depth(node.selection_set) > max_depth:
                name = node.name.value if node.name else "anonymous"
                self.report_error(
                    GraphQLError(
                        f"'{name}' exceeds maximum operation depth of {max_depth}",
                        node,
                        extensions={"code": QUERY_TOO_COMPLEX},
                    )
                )

        def _depth(self, selection_set: SelectionSetNode | None) -> int:
            deepest = 0
            for selection in selection_set.selections if selection_set else ():
                if isinstance(selection, FieldNode):
                    if selection.selection_set is None or is_introspection_key(
                        selection.name.value
                    ):
                        continue
                    depth = 1 + self._depth(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    depth = self._depth(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    depth = self._fragment_depth(selection.name.value)
                else:
                    continue
                deepest = max(deepest, depth)
                if deepest > max_depth:
                    break
            return deepest

    return DepthLimitRule


@lru_cache(maxsize=32)  # one class per limit value: see _node_limit_rule
def alias_limit_rule(max_aliases: int) -> type[ValidationRule]:
    """Aliases written in the document (each fragment once: depth and nodes bound the rest)."""

    class AliasLimitRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._aliases = 0

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            if node.alias is not None:
                self._aliases += 1

        def leave_document(self, node: DocumentNode, *_: Any) -> None:
            if self._aliases > max_aliases:
                self.report_error(
                    GraphQLError(
                        f"The query has {self._aliases} aliases; at most {max_aliases} "
                        "are allowed.",
                        extensions={"code": QUERY_TOO_COMPLEX},
                    )
                )

    return AliasLimitRule
