"""Keyset (cursor) pagination for every connection in the API.

A cursor holds the sort-key values of its row, so a page continues strictly
after that row whatever was inserted meanwhile: no duplicate and no gap, and
no OFFSET scan. Cursors are opaque to clients (url-safe base64 of JSON).
"""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import DateTimeField, Model, Q, QuerySet
from strawberry.relay import PageInfo

from graph.errors import bad_user_input
from social.reads.posts import utc_instant

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")
E = TypeVar("E")
M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Page(Generic[T]):
    nodes: list[T]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0 or first > MAX_PAGE_SIZE:
        raise bad_user_input(f"`first` must be between 0 and {MAX_PAGE_SIZE}.")
    return first


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(kind: str, values: Sequence[Any]) -> str:
    raw = json.dumps([kind, *(_jsonable(v) for v in values)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        data = None
    if (
        not isinstance(data, list)
        or len(data) != arity + 1
        or data[0] != kind
        or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in data[1:])
        # PostgreSQL refuses NUL in a parameter: a 500 rather than a bad cursor otherwise.
        or any(isinstance(v, str) and "\x00" in v for v in data[1:])
        or any(isinstance(v, int) and abs(v) > 2**63 - 1 for v in data[1:])
    ):
        raise bad_user_input("`after` is not a valid cursor for this list.")
    return data[1:]


def _after_filter(keys: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in the order `keys` (lexicographic)."""
    condition = Q()
    for i, key in enumerate(keys):
        name = key.lstrip("-")
        op = "lt" if key.startswith("-") else "gt"
        step = Q(**{f"{name}__{op}": values[i]})
        for prev_key, prev_value in zip(keys[:i], values[:i], strict=True):
            step &= Q(**{prev_key.lstrip("-"): prev_value})
        condition |= step
    # Implied by the OR above, but only this form lets PostgreSQL start the index scan at the
    # cursor instead of filtering every row before it.
    first = keys[0]
    bound = Q(**{f"{first.lstrip('-')}__{'lte' if first.startswith('-') else 'gte'}": values[0]})
    return bound & condition


def cursor_date(field: DateTimeField, value: Any) -> datetime:
    """A cursor's value for a date column as a UTC instant (`utc_instant`); ValueError,
    ValidationError or OverflowError when it is none."""
    moment = field.to_python(value)
    if moment is None:
        raise ValueError("not a date")
    return utc_instant(moment)


def _key_value(queryset: QuerySet[Any], key: str, value: Any) -> Any:
    try:
        field = queryset.model._meta.get_field(key.lstrip("-"))
    except FieldDoesNotExist:
        return value  # an annotation (search rank, username key), compared as given
    return cursor_date(field, value) if isinstance(field, DateTimeField) else value


def keyset_page(
    queryset: QuerySet[M],
    *,
    kind: str,
    keys: Sequence[str],
    first: int | None,
    after: str | None,
    key_values: Callable[[M], Sequence[Any]] | None = None,
) -> Page[M]:
    """One page of `queryset` in `keys` order, continuing after the cursor `after`.

    `keys` must end with a unique column (usually "-id") so the order is total.
    """
    size = page_size(first)
    queryset = queryset.order_by(*keys)
    if after is not None:
        values = decode_cursor(kind, after, len(keys))
        try:
            values = [
                _key_value(queryset, key, value) for key, value in zip(keys, values, strict=True)
            ]
            queryset = queryset.filter(_after_filter(keys, values))
        except (ValueError, TypeError, OverflowError, ValidationError) as exc:
            raise bad_user_input("`after` is not a valid cursor for this list.") from exc
    return page_of(
        list(queryset[: size + 1]), size, kind=kind, keys=keys, after=after, read=key_values
    )


def page_of(
    rows: list[T],
    size: int,
    *,
    kind: str,
    keys: Sequence[str],
    after: str | None,
    read: Callable[[T], Sequence[Any]] | None = None,
) -> Page[T]:
    """The page of `rows` (up to size + 1 of them, the last telling there is a next page)."""
    has_next = len(rows) > size
    rows = rows[:size]
    read = read or (lambda row: [_attr_path(row, k.lstrip("-")) for k in keys])
    return Page(
        nodes=rows,
        cursors=[encode_cursor(kind, read(row)) for row in rows],
        has_next_page=has_next,
        has_previous_page=after is not None,
    )


def _attr_path(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part)
    return obj


def page_edges(
    page: Page[Any], edge: Callable[..., E], nodes: Sequence[Any] | None = None
) -> list[E]:
    """A connection's edges: `edge(cursor=, node=)` for each row of `page`, or for each of
    `nodes` (one per row, in order) when the nodes are not the rows themselves."""
    rows = page.nodes if nodes is None else nodes
    return [edge(cursor=cursor, node=node) for cursor, node in zip(page.cursors, rows, strict=True)]


def page_info(page: Page[Any]) -> PageInfo:
    """The Relay PageInfo of a page."""
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=page.cursors[0] if page.cursors else None,
        end_cursor=page.cursors[-1] if page.cursors else None,
    )
