"""Media as a viewer reads them, from the JSON kept beside a post or a user."""

import json
from typing import Any

from social.media.storage import media_url
from social.reads.views import MediaView


def _loaded(raw: Any) -> Any:
    # SQLite (and a raw cursor on PostgreSQL) return the JSON's text; the ORM, the value.
    return json.loads(raw) if isinstance(raw, str) else raw


def media_view(item: dict[str, Any]) -> MediaView:
    return MediaView(
        item["id"],
        media_url(item["file"]),
        media_url(item["thumb"]),
        item["width"],
        item["height"],
        item["mime"],
        item["alt"],
    )


def post_media(raw: Any, limit: int = 4) -> tuple[MediaView, ...]:
    """A post's images, in order; at most the bound the node limit counts."""
    items = _loaded(raw) or ()
    return tuple(media_view(item) for item in items[:limit])


def avatar(raw: Any) -> MediaView | None:
    item = _loaded(raw)
    return None if not item else media_view(item)
