"""Where compiled statements meet graphql-core: each root field of a query, before the
executor resolves it, is compiled (or found in the plan cache) and run as one statement;
its JSON text goes into the result as RawJSON, which the HTTP view writes as it is.

Only requests whose view set `Context.compiled_document` (the hash of the document text)
take this path: the HTTP view on PostgreSQL with GRAPHQL_COMPILED on. Parsing, validation,
the query limits, authentication and metrics all ran before, as for any request.
"""

import logging
import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from graphql import OperationType
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Path
from psycopg import Cursor
from strawberry.utils.inspect import in_async_context

from graph.compiled import plan_cache
from graph.compiled.compiler import Bind, Compiler, Fallback, Statement

logger = logging.getLogger("graph.compiled")
# psycopg prepares a statement run this many times, or any run with prepare=True.
_ONLY_WHEN_ASKED = 2**31


class RawJSON:
    """A root field's value as JSON text, to be written into the response unchanged."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:60]!r})"


def compiled_root_field(
    executor: Any, parent_type: Any, group: list[FieldDetails], path: Path
) -> RawJSON | None:
    """The root field at `path` as JSON text, or None when the normal executor must run it."""
    context = executor.context_value
    document = getattr(context, "compiled_document", None)
    if document is None or executor.operation.operation != OperationType.QUERY:
        return None
    if in_async_context():
        return None  # Django's database calls are sync-only: an async view runs resolvers
    viewer_id = getattr(context, "viewer_id", None)
    variables = executor.variable_values
    operation = executor.operation.name.value if executor.operation.name else None
    name = group[0].node.name.value
    key = (
        document,
        operation,
        path.key,
        plan_cache.shape_key(variables.coerced, viewer_signed_in=viewer_id is not None),
    )

    def compile_plan() -> plan_cache.Plan:
        compiler = Compiler(
            executor.schema,
            executor.collect_subfields,
            variables=variables,
            viewer_signed_in=viewer_id is not None,
        )
        try:
            return compiler.root(name, group)
        except Fallback as reason:
            logger.debug("Not compiled: %s (%s)", name, reason)
            return plan_cache.FALLBACK

    plan = plan_cache.cached_plan(key, compile_plan)
    if not isinstance(plan, Statement):
        return None
    if plan.constant is not None:
        return RawJSON(plan.constant)
    try:
        params = plan.params(Bind(variables=variables, viewer_id=viewer_id))
    except Fallback:
        return None  # an argument the executor answers with an error (a bad cursor)
    return RawJSON(run(plan.sql, params))


def run(sql: str, params: dict[str, Any]) -> str:
    """The statement's one text value, prepared once per connection (server-side binding:
    Django's own cursor binds on the client, so PostgreSQL would plan every execution)."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's prepared statements off; its own (client-binding) cursors
        # never prepare, so this lets only ours, which ask for it, be prepared.
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    started = time.monotonic()
    with Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
        row = cursor.fetchone()
    if connection.queries_logged:
        # As Django's debug cursor records it: query counts and the DEBUG log see it.
        connection.queries_log.append(
            {"sql": f"{sql} -- {params!r}", "time": f"{time.monotonic() - started:.3f}"}
        )
    assert row is not None
    return str(row[0])
