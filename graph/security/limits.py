"""Every query limit of the API in one place, read from settings on each request.

graph/schema.py passes `security_extensions()` to the schema. Each entry is a
factory, so Strawberry builds a fresh extension per request and a changed
setting (or a test's override) applies to the next request.
"""

from collections.abc import Callable, Iterator

from django.conf import settings
from graphql import GraphQLError
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    SchemaExtension,
    ValidationCache,
)

from graph.security.rules import AliasLimiter, DepthLimiter, NodeLimiter

# Messages of Strawberry's and graphql-core's limit rules, which carry no code of their
# own; graph.security.errors gives them QUERY_TOO_COMPLEX (tests/security pins each).
LIMIT_MESSAGES = (
    "Document contains more than",  # MaxTokensLimiter (a parse error)
)


def _depth() -> SchemaExtension:
    # Not Strawberry's QueryDepthLimiter: see graph/security/rules.py.
    return DepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH)


def _tokens() -> SchemaExtension:
    return MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS)


def _aliases() -> SchemaExtension:
    # Not Strawberry's MaxAliasesLimiter: see graph/security/rules.py.
    return AliasLimiter(max_aliases=settings.GRAPHQL_MAX_ALIASES)


def _nodes() -> SchemaExtension:
    return NodeLimiter(max_nodes=settings.GRAPHQL_MAX_NODES)


def _introspection() -> SchemaExtension:
    # DisableIntrospection takes no switch, so this adds its rule only when turned off.
    rules: list[type[ASTValidationRule]] = (
        [] if settings.GRAPHQL_INTROSPECTION else [NoSchemaIntrospectionCustomRule]
    )
    return AddValidationRules(rules)


def security_extensions() -> list[Callable[[], SchemaExtension]]:
    return [_tokens, _depth, _aliases, _nodes, _introspection]


class FreshErrorsValidationCache(ValidationCache):
    """Strawberry's ValidationCache, handing each request its own copies of cached errors.

    graph.security.errors rewrites errors in place (codes, and suggestions stripped in
    production); on the shared cached objects that would leak from one request, or one
    setting, to the next."""

    def on_validate(self) -> Iterator[None]:
        # As the parent does, but copying before the yield: Strawberry processes the
        # errors inside the validation step.
        context = self.execution_context
        errors = self.cached_validate_document(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
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
