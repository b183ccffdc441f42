"""The HTTP view's two touch points with the compiled path: turning it on for a request,
and writing a response whose root fields may hold JSON text from PostgreSQL."""

import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from strawberry.http import GraphQLRequestData

from graph.compiled.executor import RawJSON
from graph.context import Context


def enable_compiled_path(context: Context, request_data: GraphQLRequestData) -> None:
    """Lets the compiled path run this request's root fields (PostgreSQL only)."""
    query = request_data.query
    if (
        settings.GRAPHQL_COMPILED
        and isinstance(query, str)
        and connections[DEFAULT_DB_ALIAS].vendor == "postgresql"
    ):
        # surrogatepass: a lone surrogate is the parser's syntax error to report, not ours.
        key = query.encode("utf-8", "surrogatepass")
        context.compiled_document = hashlib.sha256(key).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def encode_response(response: object) -> str:
    """The response as Strawberry's view writes it, with RawJSON values spliced in."""
    data = response.get("data") if isinstance(response, dict) else None
    if not isinstance(data, dict) or not any(isinstance(v, RawJSON) for v in data.values()):
        return _dumps(response)
    assert isinstance(response, dict)
    fields = ",".join(
        f"{_dumps(key)}:{value.text if isinstance(value, RawJSON) else _dumps(value)}"
        for key, value in data.items()
    )
    rest = "".join(
        f",{_dumps(key)}:{_dumps(value)}" for key, value in response.items() if key != "data"
    )
    return f'{{"data":{{{fields}}}{rest}}}'
