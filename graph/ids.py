"""Relay global IDs: opaque to clients, "TypeName:pk" inside."""

from strawberry.relay import GlobalID


def global_id(type_name: str, pk: int) -> str:
    return str(GlobalID(type_name, str(pk)))


def parse_global_id(value: str) -> tuple[str, int] | None:
    """(type name, pk) of a global ID, or None when it is not one of ours."""
    try:
        gid = GlobalID.from_id(value)
        pk = int(gid.node_id)
    except (ValueError, TypeError, UnicodeError, AttributeError):
        return None
    # Only the form global_id() writes: int() also reads " 1", "+1", "01" and other
    # scripts' digits, which would give one object many ids.
    if pk <= 0 or pk > 2**63 - 1 or str(pk) != gid.node_id:
        return None
    return gid.type_name, pk


def pk_of(value: str | None, type_name: str) -> int | None:
    """The pk of a global ID of `type_name`; None for garbage or another type."""
    if value is None:
        return None
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != type_name:
        return None
    return parsed[1]
