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


def media_by_id(*, media_id: int, viewer_id: int | None) -> MediaView | None:
    """An upload as the viewer may see it: their own always; someone else's only as part of
    a post or a profile the viewer may see (so never an unattached one)."""
    from social.models import Media
    from social.reads.posts import post_view
    from social.reads.users import user_view
    from social.reads.views import PostShape

    row = (
        Media.objects.filter(pk=media_id)
        .values_list("owner_id", "post_id", "is_avatar", "file", "thumbnail")
        .first()
    )
    if row is None:
        return None
    owner_id, post_id, is_avatar, *_ = row
    if post_id is not None:
        shape = PostShape(viewer_has_liked=False, author=None, hashtags=False, mentions=None)
        post = post_view(post_id=post_id, viewer_id=viewer_id, shape=shape)
        found = [] if post is None else [m for m in post.media if m.id == media_id]
        return found[0] if found else None
    if is_avatar:
        user = user_view(user_id=owner_id, viewer_id=viewer_id)
        return None if user is None else user.avatar
    if owner_id != viewer_id:
        return None
    item = Media.objects.get(pk=media_id)
    return media_view(item.as_json())
