"""Depth and node-count limits, checked during validation, before any resolver runs.

Each walks the document once, counting a fragment once however often it is spread:
Strawberry's QueryDepthLimiter and MaxAliasesLimiter expand every spread again, which
takes exponential time on a "fragment bomb" (F0 spreads F1 twice, F1 spreads F2
twice, ...), so a 40-line query would hold a worker forever. tests/security pins it.

Nodes, in the manner of GitHub's GraphQL API, extended to every list field: see
graph/security/cost.py.
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
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from graphql.execution.values import VariableValues
from strawberry.extensions.utils import is_introspection_key

from graph.security.codes import QUERY_TOO_COMPLEX
from graph.security.cost import NodeEstimate, coerced_variables
from social.caches import SizedLRU

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


# A key of what the node rule reads of the coerced variables of each operation: the Int
# values (the only ones a `first` accepts) and nulls. Cursors and other values do not
# change the count, so requests that differ only in them share one rule class, and so one
# ValidationCache entry.
CostKey = tuple[tuple[tuple[str, int | None], ...], ...]


def _cost_key(per_operation: list[VariableValues]) -> CostKey:
    return tuple(
        tuple(
            sorted(
                (name, value)
                for name, value in values.coerced.items()
                if value is None or type(value) is int
            )
        )
        for values in per_operation
    )


# Rule classes are reused while the limit and the cost key stay the same: Strawberry's
# ValidationCache keys on the rule classes, so a class built per request never hits.
_node_rules: SizedLRU[tuple[int, CostKey], type[ValidationRule]] = SizedLRU(
    "GRAPHQL_DOCUMENT_CACHE_SIZE"
)


def node_limit_rule(
    max_nodes: int, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None
) -> type[ValidationRule]:
    """A validation rule bound to this request's limit and coerced variable values."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    per_operation = [coerced_variables(schema, op, variables) for op in operations]
    key = (max_nodes, _cost_key(per_operation))
    return _node_rules.get_or_build(key, lambda: _node_limit_rule(max_nodes, per_operation))


def _node_limit_rule(max_nodes: int, per_operation: list[VariableValues]) -> type[ValidationRule]:
    # Counts are capped just over the limit: past it the exact number does not matter,
    # and the cap keeps products of huge `first` values small.
    cap = max_nodes + 1

    class NodeLimitRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self._operations = 0

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            index = self._operations
            self._operations += 1
            if index >= len(per_operation):
                return
            document = self.context.document
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            estimate = NodeEstimate(self.context.schema, fragments, per_operation[index], cap)
            nodes = estimate.estimate(node)
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
