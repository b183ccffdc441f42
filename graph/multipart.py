"""GraphQL multipart requests (the spec apollo-upload-client and Apollo Kotlin/iOS follow):
`operations` (the request's JSON with null where files go), `map` (file part -> paths of
those nulls) and the file parts.

Everything a client can get wrong is a request error before execution (HTTP 400 with a
GraphQL error), never a server fault: a missing or malformed `operations` or `map`, a path
that names no variable or one that is not null, a file mapped twice or to one place with
another, a file part the map does not name or a named part that is missing.
"""

import json
from collections.abc import Mapping
from typing import Any

from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http.multipartparser import MultiPartParserError

UPLOADS_DISABLED = "File uploads are not enabled on this server."

# Failures of Django's multipart parser that are the client's (a bad body), answered 400.
CLIENT_PARSE_ERRORS = (MultiPartParserError, BadRequest, SuspiciousOperation)


def uploads_enabled() -> bool:
    return bool(settings.MEDIA_UPLOADS_ENABLED)


def _bad(message: str) -> HTTPException:
    return HTTPException(400, message)


def _json_field(post_data: Mapping[str, Any], name: str) -> Any:
    raw = post_data.get(name)
    if raw is None:
        raise _bad(f"A multipart request needs the `{name}` field.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _bad(f"The `{name}` field must be JSON.") from exc


def _place(operations: dict[str, Any], path: str) -> tuple[Any, str | int]:
    """The container and key that `path` (e.g. variables.input.files.0) names; it must
    exist and hold null."""
    keys = path.split(".")
    if len(keys) < 2 or keys[0] != "variables":
        raise _bad(f"The map's path `{path}` must name a variable (variables.<name>...).")
    target: Any = operations
    for key in keys[:-1]:
        target = _step(target, key, path)
    last: str | int = keys[-1]
    if isinstance(target, list):
        last = _index(target, str(last), path)
    elif not isinstance(target, dict) or last not in target:
        raise _bad(f"The map's path `{path}` names no variable of the operation.")
    if target[last] is not None:
        raise _bad(f"The map's path `{path}` must point at a null where the file goes.")
    return target, last


def _index(target: list[Any], key: str, path: str) -> int:
    if not key.isdigit() or int(key) >= len(target):
        raise _bad(f"The map's path `{path}` names no variable of the operation.")
    return int(key)


def _step(target: Any, key: str, path: str) -> Any:
    if isinstance(target, list):
        return target[_index(target, key, path)]
    if isinstance(target, dict) and key in target:
        return target[key]
    raise _bad(f"The map's path `{path}` names no variable of the operation.")


def operations_with_files(post_data: Mapping[str, Any], files: Mapping[str, Any]) -> dict[str, Any]:
    """The request's JSON with each file in the place the map names (raises HTTPException)."""
    operations = _json_field(post_data, "operations")
    if isinstance(operations, list):
        raise _bad("Batching is not enabled: send one operation per request.")
    if not isinstance(operations, dict):
        raise _bad("The `operations` field must be a JSON object.")
    if not isinstance(operations.get("variables"), (dict, type(None))):
        raise _bad("`variables` must be an object or null.")
    files_map = _json_field(post_data, "map")
    if not isinstance(files_map, dict) or not all(
        isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths)
        for paths in files_map.values()
    ):
        raise _bad("The `map` field must be an object of file part names to lists of paths.")
    unnamed = set(files) - set(files_map)
    if unnamed:
        raise _bad(f"The file part `{sorted(unnamed)[0]}` is not named in `map`.")
    seen: set[str] = set()
    for name, paths in files_map.items():
        if name not in files:
            raise _bad(f"The file part `{name}` named in `map` is missing.")
        if len(files.getlist(name) if hasattr(files, "getlist") else [files[name]]) > 1:
            raise _bad(f"The file part `{name}` is sent more than once.")
        for path in paths:
            if path in seen:
                raise _bad(f"Two files are mapped to `{path}`.")
            seen.add(path)
            target, key = _place(operations, path)
            target[key] = files[name]
    return operations
