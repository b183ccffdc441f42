"""Where media files live: Django's storage API, alias "media" (settings.STORAGES), so the
same code writes to MEDIA_ROOT or to any S3-compatible service (docs/operations.md).

Stored names are random; nothing of the client's file name or type reaches them.
"""

import contextvars
import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

from social.media.processing import STORED_EXTENSION, ProcessedImage

logger = logging.getLogger(__name__)

# The scheme and host of the request being served, for storages whose URLs are relative
# (the filesystem's) when MEDIA_BASE_URL is not set.
_request_origin: ContextVar[str] = ContextVar("media_request_origin", default="")


def media_storage() -> Storage:
    return storages["media"]


def new_names() -> tuple[str, str]:
    """Fresh names for an image and its thumbnail."""
    stem = secrets.token_hex(16)
    return f"m/{stem[:2]}/{stem}.{STORED_EXTENSION}", f"m/{stem[:2]}/{stem}-t.{STORED_EXTENSION}"


def save_renditions(processed: ProcessedImage) -> tuple[str, str]:
    """Writes both renditions; returns their stored names. Nothing stays when one fails."""
    storage = media_storage()
    image_name, thumbnail_name = new_names()
    saved: list[str] = []
    try:
        saved.append(storage.save(image_name, ContentFile(processed.image)))
        saved.append(storage.save(thumbnail_name, ContentFile(processed.thumbnail)))
    except BaseException:
        delete_files(saved)
        raise
    return saved[0], saved[1]


def delete_files(names: Iterable[str]) -> None:
    """Removes stored files; a failure is logged (purge_media finds nothing to retry: the
    row is gone), never raised into the request that deleted the post."""
    storage = media_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            logger.warning("Could not delete media file %s", name, exc_info=True)


@contextmanager
def request_origin(origin: str) -> Iterator[None]:
    """Relative media URLs read inside this block are made absolute with `origin`."""
    token = _request_origin.set(origin.rstrip("/"))
    try:
        yield
    finally:
        _request_origin.reset(token)


def origin_context(origin: str) -> contextvars.Context:
    """A copy of the current context in which relative media URLs are made absolute with
    `origin`: for a task of its own (a socket's operation, a stream's next result)."""
    context = contextvars.copy_context()
    context.run(_request_origin.set, origin.rstrip("/"))
    return context


def media_url(name: str) -> str:
    """The URL a client fetches the stored file from: absolute when the storage gives one
    (S3, signed or public), else MEDIA_BASE_URL or the current request's origin + MEDIA_URL."""
    return absolute_url(media_storage().url(name))


def absolute_url(url: str) -> str:
    """`url` made absolute for the current request when it is a path (a view read where no
    request's origin was known, such as the live side's shared reads)."""
    if not url.startswith("/"):
        return url
    base = settings.MEDIA_BASE_URL.rstrip("/") or _request_origin.get()
    return f"{base}{url}"


_PROBE = "0000probe.webp"

# The storage's URL of the probe name, per storage object (Django makes a new one when
# STORAGES changes) and MEDIA_URL (the filesystem storage's base, changed in place): a
# compiled page asks for the prefix on every request. Whether it is a plain prefix (None
# for signed URLs, which differ on each call) is the storage's kind, not the call's.
_probe_url: tuple[Storage, str, str] | None = None


def media_url_prefix() -> str | None:
    """What every media URL is: this prefix + the stored name, read now; None when URLs
    are not of that form (signed S3 URLs), so SQL cannot write them."""
    global _probe_url
    storage = media_storage()
    known = _probe_url
    if known is None or known[0] is not storage or known[1] != settings.MEDIA_URL:
        known = _probe_url = (storage, settings.MEDIA_URL, storage.url(_PROBE))
    url = absolute_url(known[2])
    return url[: -len(_PROBE)] if url.endswith(_PROBE) else None
