"""`node(id:)`: each object type registers how to load one of its rows for a viewer."""

from collections.abc import Callable
from typing import Any

from graph.context import Info
from graph.ids import parse_global_id

NodeLoader = Callable[[Info, int], Any]
_loaders: dict[str, NodeLoader] = {}


def node_loader(type_name: str) -> Callable[[NodeLoader], NodeLoader]:
    def register(loader: NodeLoader) -> NodeLoader:
        _loaders[type_name] = loader
        return loader

    return register


def load_node(info: Info, global_id: str) -> Any:
    """The object behind a global ID as the viewer may see it, or None."""
    parsed = parse_global_id(global_id)
    if parsed is None:
        return None
    type_name, pk = parsed
    loader = _loaders.get(type_name)
    return loader(info, pk) if loader is not None else None
