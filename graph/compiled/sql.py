"""SQL expressions producing JSON text in exactly the formats the normal executor writes.

Every expression here yields `text` holding one JSON value and is never NULL, so pieces
can be joined with `||`. Only our own constants (type names, cursor kinds, response keys
the GraphQL parser accepted, which are [_A-Za-z][_0-9A-Za-z]*) are written into the SQL;
request values always travel as parameters.
"""

import re

_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def literal(text: str) -> str:
    """A SQL string literal of one of our constants ('%' doubled for psycopg's placeholders)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


def key(name: str) -> str:
    """`"name":` of a response key, checked to be a GraphQL name."""
    if not _NAME.match(name):
        raise ValueError(f"Not a GraphQL name: {name!r}")
    return f'"{name}":'


def string(expr: str, *, nullable: bool = False) -> str:
    text = f"to_json({expr})::text"
    return f"coalesce({text}, 'null')" if nullable else text


def integer(expr: str) -> str:
    return f"({expr})::text"


def boolean(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 'true' ELSE 'false' END"


def isoformat(expr: str) -> str:
    """What Python's datetime.isoformat() gives for a UTC datetime: microseconds only when
    not zero, and +00:00 (Strawberry's DateTime and our cursors both write that)."""
    # One to_char with the microseconds, dropped when they are zero: '.000000' can only be
    # the fraction (the rest holds no '.'), and to_char is most of the cost.
    return (
        f"replace(to_char(({expr} AT TIME ZONE 'UTC'), 'YYYY-MM-DD\"T\"HH24:MI:SS.US'),"
        " '.000000', '') || '+00:00'"
    )


def datetime(expr: str, *, nullable: bool = False) -> str:
    text = f"'\"' || {isoformat(expr)} || '\"'"
    return f"CASE WHEN {expr} IS NULL THEN 'null' ELSE {text} END" if nullable else text


def global_id(type_name: str, pk_expr: str) -> str:
    """graph.ids.global_id: standard base64 of "TypeName:pk" (PostgreSQL wraps base64 lines)."""
    encoded = (
        f"encode(convert_to({literal(type_name + ':')} || ({pk_expr})::text, 'UTF8'), 'base64')"
    )
    return f"'\"' || translate({encoded}, E'\\n', '') || '\"'"


def cursor_text(kind: str, parts: list[tuple[str, str]]) -> str:
    """graph.pagination.encode_cursor as text (not quoted): url-safe base64 without padding
    of the compact JSON [kind, *values]. `parts` are (expression, "datetime" | "integer" |
    "text"); a text value is ASCII (a lower-cased username), which JSON writes as it is."""
    written = {"datetime": lambda e: f"'\"' || {isoformat(e)} || '\"'", "text": quoted}
    values = [written.get(kind_, lambda e: f"({e})::text")(expr) for expr, kind_ in parts]
    opening = literal('["' + kind + '",')
    inner = f"{opening} || " + " || ',' || ".join(values) + " || ']'"
    return f"translate(encode(convert_to({inner}, 'UTF8'), 'base64'), E'+/=\\n', '-_')"


def quoted(text_expr: str) -> str:
    return f"'\"' || {text_expr} || '\"'"
