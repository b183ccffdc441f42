"""Where compiled statements meet graphql-core: each root field of a query, before the
executor resolves it, is compiled (or found in the plan cache) and run as one statement;
its JSON text goes into the result as RawJSON, which the HTTP view writes as it is.

Only requests whose view set `Context.compiled_document` (the hash of the document text)
take this path: the HTTP view on PostgreSQL with GRAPHQL_COMPILED on. Parsing, validation,
the query limits, authentication and metrics all ran before, as for any request.
"""

import logging

from graphql import OperationType
from strawberry.utils.inspect import in_async_context

from graph.compiled import plan_cache
from graph.compiled.compiler import Bind, Compiler, Fallback, Statement
from graph.compiled.database import run
from graph.internals import RootField

logger = logging.getLogger("graph.compiled")


class RawJSON:
    """A root field's value as JSON text, to be written into the response unchanged."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:60]!r})"


def compiled_root_field(field: RootField) -> RawJSON | None:
    """The root field as JSON text, or None when the normal executor must run it."""
    document = getattr(field.context, "compiled_document", None)
    if document is None or field.operation.operation != OperationType.QUERY:
        return None
    if in_async_context():
        return None  # Django's database calls are sync-only: an async view runs resolvers
    viewer_id = getattr(field.context, "viewer_id", None)
    variables = field.variables
    operation = field.operation.name.value if field.operation.name else None
    name = field.name
    key = (
        document,
        operation,
        field.response_key,
        plan_cache.shape_key(variables.coerced, viewer_signed_in=viewer_id is not None),
    )

    def compile_plan() -> plan_cache.Plan:
        compiler = Compiler(
            field.schema,
            field.subfields,
            variables=variables,
            viewer_signed_in=viewer_id is not None,
        )
        try:
            return compiler.root(name, field.group)
        except Fallback as reason:
            logger.debug("Not compiled: %s (%s)", name, reason)
            return plan_cache.FALLBACK

    plan = plan_cache.cached_plan(key, compile_plan)
    if not isinstance(plan, Statement):
        return None
    if plan.constant is not None:
        return RawJSON(plan.constant)
    bind = Bind(variables=variables, viewer_id=viewer_id)
    try:
        values = plan.values(bind)
    except Fallback:
        return None  # an argument the executor answers with an error (a bad cursor)
    return RawJSON(run(plan.native, values, logged=lambda: f"{plan.sql} -- {plan.params(bind)!r}"))
