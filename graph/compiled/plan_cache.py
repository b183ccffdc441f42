"""Compiled statements, kept per document and shape in a bounded LRU.

The key is the document's hash, the operation, the root field's response key and what the
compiled SQL depends on besides the document (compiler.py): whether a viewer is signed in,
and each variable's value when it is an Int or a Boolean (page sizes, @include/@skip,
unreadOnly), or, for a string, only whether it is a global id and of which type, and
whether it is ASCII. A root
field the compiler cannot handle is kept as FALLBACK, so it is not compiled again.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.conf import settings

from graph.compiled.compiler import Statement
from graph.ids import parse_global_id

FALLBACK = "fallback"
Plan = Statement | str

_plans: OrderedDict[Hashable, Plan] = OrderedDict()
_lock = threading.Lock()


def _variable_shape(value: Any) -> Hashable:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        parsed = parse_global_id(value)
        # A global id's type picks the node's table; ASCII text, the username's index.
        return ("string", parsed[0] if parsed else None, value.isascii())
    return ("other", repr(value))


def shape_key(variables: dict[str, Any], *, viewer_signed_in: bool) -> Hashable:
    return (
        viewer_signed_in,
        tuple(sorted((name, _variable_shape(v)) for name, v in variables.items())),
    )


def cached_plan(key: Hashable, compile_plan: Callable[[], Plan]) -> Plan:
    with _lock:
        plan = _plans.get(key)
        if plan is not None:
            _plans.move_to_end(key)
            return plan
    plan = compile_plan()
    with _lock:
        _plans[key] = plan
        while len(_plans) > settings.GRAPHQL_COMPILED_CACHE_SIZE:
            _plans.popitem(last=False)
    return plan


def clear() -> None:
    with _lock:
        _plans.clear()


def size() -> int:
    return len(_plans)
