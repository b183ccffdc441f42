"""The rule book's SQL (social/visibility.py) spliced into a compiled statement.

The compiled path has no visibility rule of its own: wherever a user or a post row enters a
result, the compiler asks social/visibility.py for its `SqlFragment` over that row's
aliases and splices it in here, each of the fragment's `%s` placeholders becoming one of
the statement's own parameters (`VIEWER` the viewer's id, any other value bound as it is).
A rule added there (taking the viewer or not) reaches compiled documents unchanged.
"""

import re
from collections.abc import Callable
from typing import Any

from social.visibility import VIEWER, SqlFragment

# psycopg's placeholders in a fragment: `%s`, and `%%` for a literal percent.
_PLACEHOLDER = re.compile(r"%%|%s|%\(")


def spliced(
    fragment: SqlFragment, *, viewer: Callable[[], str], value: Callable[[Any], str]
) -> str:
    """The fragment's condition, parenthesised, with `viewer()` where it holds `VIEWER`
    and `value(v)` for each other parameter `v` (both give a placeholder of the statement)."""
    params = iter(fragment.params)

    def replace(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        if match.group() == "%(":
            raise ValueError(f"Named placeholders are not spliced: {fragment.sql!r}")
        try:
            param = next(params)
        except StopIteration:
            raise ValueError(f"More placeholders than parameters: {fragment.sql!r}") from None
        return viewer() if param is VIEWER else value(param)

    condition = _PLACEHOLDER.sub(replace, fragment.sql)
    if next(params, _END) is not _END:
        raise ValueError(f"More parameters than placeholders: {fragment.sql!r}")
    return f"({condition})"


_END = object()


def cast_of(value: Any) -> str | None:
    """The SQL type a fragment's constant is bound as (None: PostgreSQL infers it)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, str):
        return "text"
    return None
