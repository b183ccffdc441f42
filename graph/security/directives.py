"""Directives counted before any rule looks at one.

graphql-core's rules each visit every directive (known, arguments, values, uniqueness), and
report an error per unknown or repeated one: a field carrying @include a thousand times
cost a thousand times the work, and answered with a hundred errors. This rule runs first
and, when any one place of the document (a field, a fragment spread, an inline fragment,
an operation, a fragment, a variable) carries more directives than the limit, ends the
validation at once with one error, before any other rule visits a node. Under the limit,
graphql-core's UniqueDirectivesPerLocationRule refuses a repeated non-repeatable directive
(@include twice) as the specification says.
"""

from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)
from graphql.validation.validate import ValidationAbortedError

from graph.security.codes import QUERY_TOO_COMPLEX


def crowded_place(document: DocumentNode, max_directives: int) -> tuple[Node, int] | None:
    """The first place in `document` with more than `max_directives` directives, and how
    many it has; None when there is none. One pass over the nodes, no fragment expanded."""
    stack: list[Node] = []
    for definition in document.definitions:
        if not isinstance(definition, ExecutableDefinitionNode):
            continue
        stack.append(definition)
        if isinstance(definition, OperationDefinitionNode):
            stack.extend(definition.variable_definitions or ())
    while stack:
        node = stack.pop()
        directives = getattr(node, "directives", None)
        if directives and len(directives) > max_directives:
            return node, len(directives)
        selection_set: SelectionSetNode | None = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return None


@lru_cache(maxsize=32)  # one class per limit value, as graph/security/rules.py does
def directive_limit_rule(max_directives: int) -> type[ValidationRule]:
    class DirectiveLimitRule(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            crowded = crowded_place(node, max_directives)
            if crowded is None:
                return
            place, count = crowded
            where = "field" if isinstance(place, FieldNode) else "place"
            if isinstance(place, InlineFragmentNode):
                where = "inline fragment"
            # Aborting keeps every other rule from visiting the directives.
            raise ValidationAbortedError(
                f"A {where} carries {count} directives; at most {max_directives} are "
                "allowed in one place.",
                place,
                extensions={"code": QUERY_TOO_COMPLEX},
            )

    return DirectiveLimitRule
