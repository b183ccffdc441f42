"""Every query limit of the API in one place, read from settings on each request.

graph/schema.py passes `security_extensions()` to the schema. Each entry is a
factory (a class), so Strawberry builds a fresh extension per request, and the
limits are read from settings as it runs: a changed setting (or a test's
override) applies to the next request.
"""

from collections.abc import Callable, Iterator

from django.conf import settings
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from graph.security.directives import directive_limit_rule
from graph.security.documents import cached_verdict
from graph.security.rules import alias_limit_rule, depth_limit_rule, node_limit_rule

# Messages of Strawberry's and graphql-core's limit rules, which carry no code of their
# own; graph.security.errors gives them QUERY_TOO_COMPLEX (tests/security pins each).
LIMIT_MESSAGES = (
    "Document contains more than",  # MaxTokensLimiter (a parse error)
)


class QueryLimits(SchemaExtension):
    """Every limit of a query document, read from settings for each request: the token count
    at parsing, then the directive, depth, alias, node and introspection rules at validation.

    One extension rather than one per limit: Strawberry enters every extension's hooks in
    every phase of every request. The directive rule goes first, so that it ends a crowded
    document's validation before any other rule looks at a directive; the others follow in
    the order they had as separate AddValidationRules extensions, so the errors and the
    validation cache's keys (one class per limit value, graph/security/rules.py) stay the
    same."""

    def on_operation(self) -> Iterator[None]:
        # As MaxTokensLimiter does.
        self.execution_context.parse_options["max_tokens"] = settings.GRAPHQL_MAX_TOKENS
        yield

    def on_validate(self) -> Iterator[None]:
        # Here, before FreshErrorsValidationCache validates: the node rule needs the parsed
        # document to coerce this request's variables as the executor will.
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        schema = context.schema._schema
        # Not Strawberry's QueryDepthLimiter and MaxAliasesLimiter: see graph/security/rules.py.
        rules: list[type[ASTValidationRule]] = [
            depth_limit_rule(settings.GRAPHQL_MAX_DEPTH),
            alias_limit_rule(settings.GRAPHQL_MAX_ALIASES),
            node_limit_rule(settings.GRAPHQL_MAX_NODES, schema, document, context.variables),
        ]
        if not settings.GRAPHQL_INTROSPECTION:
            rules.append(NoSchemaIntrospectionCustomRule)
        first = directive_limit_rule(settings.GRAPHQL_MAX_DIRECTIVES_PER_LOCATION)
        context.validation_rules = (first, *context.validation_rules, *rules)
        yield


def security_extensions() -> list[Callable[[], SchemaExtension]]:
    return [QueryLimits]


class FreshErrorsValidationCache(SchemaExtension):
    """Strawberry's ValidationCache, keeping each verdict with its document in
    graph/security/documents.py (so within that cache's byte budget), and handing each
    request its own copies of cached errors.

    graph.security.errors rewrites errors in place (codes, and suggestions stripped in
    production); on the shared cached objects that would leak from one request, or one
    setting, to the next."""

    def on_validate(self) -> Iterator[None]:
        # Copying before the yield: Strawberry processes the errors inside the validation step.
        context = self.execution_context
        schema, document, rules = (
            context.schema._schema,
            context.graphql_document,
            context.validation_rules,
        )
        assert document is not None
        # What Strawberry's ValidationCache runs (its rules added, graphql-core's 100-error cap).
        errors = cached_verdict(context, lambda: validate_document(schema, document, rules))
        context.pre_execution_errors = [
            GraphQLError(
                error.message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=error.original_error,
                extensions=error.extensions,
            )
            for error in errors
        ]
        yield
