"""The one module that reads private attributes of Strawberry and graphql-core (listed in
docs/internals.md with their pinned versions; tests/graph/test_internals.py pins each one)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableValues,
)
from graphql.execution.executor import Executor
from graphql.pyutils import Path

from graph.context import Info

# graphql-core's collected fields of one response key (its FieldDetails, not exported).
FieldGroup = Sequence[Any]


def field_nodes(info: Info) -> tuple[tuple[FieldNode, ...], dict[str, FragmentDefinitionNode]]:
    """The document nodes of the field being resolved and the document's fragments.

    Strawberry's public `info.selected_fields` converts the whole selection on each call;
    its graphql-core info holds the parsed nodes themselves, which the parser cache reuses
    for the same document, so what is derived from them can be cached per document."""
    raw = info._raw_info
    return tuple(raw.field_nodes), raw.fragments


def node_of(group: FieldGroup) -> FieldNode:
    """The first document node of a field group (all name the same field)."""
    node: FieldNode = group[0].node
    return node


@dataclass(frozen=True, slots=True)
class RootField:
    """A root field that graphql-core's executor is about to resolve, with what the
    compiled path reads of the executor."""

    schema: GraphQLSchema
    context: Any
    operation: OperationDefinitionNode
    variables: VariableValues
    group: FieldGroup
    response_key: str
    # The selection of a field group on an object type: (response key, field group) pairs,
    # after fragments, aliases and @include/@skip, as the executor itself collects them.
    subfields: Callable[[GraphQLObjectType, FieldGroup], Mapping[str, FieldGroup]]

    @property
    def name(self) -> str:
        return node_of(self.group).name.value


class RootFieldHook(Executor):
    """graphql-core's executor, asking `answer_root_field` for each root field before it
    resolves it: a value answers the field, None lets the executor resolve it, and an
    exception is reported as a resolver's would be (located, masked, the field null)."""

    def answer_root_field(self, field: RootField) -> Any:
        return None

    def execute_field(
        self,
        parent_type: Any,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        if path.prev is None:
            root = RootField(
                schema=self.schema,
                context=self.context_value,
                operation=self.operation,
                variables=self.variable_values,
                group=field_details_list,
                response_key=str(path.key),
                subfields=self._subfields,
            )
            try:
                answer = self.answer_root_field(root)
            except Exception as error:
                field_def = self.schema.get_field(parent_type, root.name)
                assert field_def is not None
                self.handle_field_error(error, field_def.type, field_details_list, path)
                return None
            if answer is not None:
                return answer
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _subfields(
        self, object_type: GraphQLObjectType, group: FieldGroup
    ) -> Mapping[str, FieldGroup]:
        return self.collect_subfields(object_type, group).grouped_field_set  # type: ignore[arg-type]


def stream_frames(view: Any, request: Any, results: Any, transport: Any) -> Any:
    """Strawberry's framing of a subscription's results for an HTTP stream transport
    (`AsyncBaseHTTPView._stream_result`: each result processed as its views do, encoded by
    the transport, merged with heartbeats): a function returning the text stream."""
    return view._stream_result(request, results, transport)


def provided_operation_name(execution_context: Any) -> str | None:
    """The `operationName` the request sent, or None: Strawberry's public
    `ExecutionContext.operation_name` falls back to the document's first operation, so it
    cannot tell a document of several operations sent without a name."""
    name: str | None = execution_context._provided_operation_name
    return name


def core_schema(schema: Any) -> GraphQLSchema:
    """Strawberry's graphql-core schema (`Schema._schema`): what the live side executes an
    event's document against (realtime/delivery.py `render`), as Strawberry's own execution does."""
    core: GraphQLSchema = schema._schema
    return core
