"""Turning an uploaded file into the images we store, never trusting its name or type.

The format is decided by the file's first bytes (JPEG, PNG, WebP, GIF) and only that
decoder may open it; the declared size is checked against MEDIA_MAX_PIXELS before a pixel
is decoded (decompression bombs). The EXIF orientation is applied, then both renditions
are encoded afresh from pixels alone: no EXIF, no GPS, no ICC profile (colours are
converted to sRGB first), no comment, nothing that rode along in the file.

Decoding is CPU work: at most MEDIA_PROCESSING_CONCURRENCY images at once per process.
Callers run on request threads, off the event loop.
"""

import io
import threading
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from social.errors import ErrorCode, ValidationFailed

STORED_MAX_SIDE = 2048
THUMBNAIL_MAX_SIDE = 400
STORED_MIME_TYPE = "image/webp"
STORED_EXTENSION = "webp"
WEBP_QUALITY = 82
# libwebp's effort (0-6): 2 encodes a 2048 px image in a third of 4's time for files ~2 %
# larger (bench/RESULTS.md, section 12).
WEBP_METHOD = 2
# Pillow's own ceiling stays above ours, so ours answers first with TOO_LARGE.
Image.MAX_IMAGE_PIXELS = None

# First bytes of each accepted format -> the one Pillow decoder allowed to open it.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"WEBP", 8, "WEBP"),
)


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    image: bytes
    thumbnail: bytes
    width: int
    height: int
    mime_type: str = STORED_MIME_TYPE


def _unsupported(message: str = "Upload a JPEG, PNG, WebP or GIF image.") -> ValidationFailed:
    return ValidationFailed(field="file", code=ErrorCode.UNSUPPORTED_MEDIA, message=message)


def _too_large(message: str) -> ValidationFailed:
    return ValidationFailed(field="file", code=ErrorCode.TOO_LARGE, message=message)


def sniff_format(head: bytes) -> str | None:
    """The accepted format these first bytes begin, or None."""
    for signature, offset, name in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            if name == "WEBP" and head[:4] != b"RIFF":
                continue
            return name
    return None


_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _processing_slots() -> threading.BoundedSemaphore:
    """The per-process limit on images decoded at once (rebuilt when the setting changes)."""
    global _slots
    size = max(1, int(settings.MEDIA_PROCESSING_CONCURRENCY))
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


def process_upload(source: IO[bytes], *, size: int) -> ProcessedImage:
    """The stored renditions of an uploaded file of `size` bytes (raises ValidationFailed
    with UNSUPPORTED_MEDIA or TOO_LARGE)."""
    limit = settings.MEDIA_MAX_BYTES
    if size > limit:
        raise _too_large(f"The file is larger than the limit of {limit:,} bytes.")
    if size == 0:
        raise _unsupported("The file is empty.")
    source.seek(0)
    image_format = sniff_format(source.read(16))
    if image_format is None:
        raise _unsupported()
    slots = _processing_slots()
    if not slots.acquire(timeout=settings.MEDIA_PROCESSING_WAIT):
        raise ValidationFailed(
            field="file",
            code=ErrorCode.RATE_LIMITED,
            message="The server is busy with other images. Try again in a moment.",
        )
    try:
        source.seek(0)
        return _process(source, image_format)
    finally:
        slots.release()


def _process(source: IO[bytes], image_format: str) -> ProcessedImage:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=[image_format]) as opened:
                width, height = opened.size
                if width * height > settings.MEDIA_MAX_PIXELS:
                    raise _too_large(
                        f"The image is {width:,} x {height:,} pixels; the limit is "
                        f"{settings.MEDIA_MAX_PIXELS:,} pixels."
                    )
                opened.seek(0)  # an animation's first frame
                opened.load()
                stored = _stored_rendition(opened)
        thumbnail = _fit(stored, THUMBNAIL_MAX_SIDE)
        return ProcessedImage(
            image=_encode(stored),
            thumbnail=_encode(thumbnail),
            width=stored.width,
            height=stored.height,
        )
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large("The image has too many pixels.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Truncated, corrupt, or only pretending to be an image.
        raise _unsupported("The file is not a readable image.") from exc


def _stored_rendition(image: Image.Image) -> Image.Image:
    """The decoded image fitted to STORED_MAX_SIDE, turned as its EXIF orientation says, in
    sRGB (RGB or RGBA). Fitted first, in place: the full-size pixels are held once."""
    # A palette, greyscale or RGB PNG may name one transparent colour (tRNS) instead of
    # carrying an alpha channel; converted first, before resizing blends that colour away.
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    if image.mode.startswith("I"):
        # 16-bit greyscale (PNG) holds 0-65535: converted as is, anything above 255 is white.
        image = image.point(lambda value: value / 256, "L")
    if image.mode not in ("RGB", "RGBA", "L", "CMYK") or (has_alpha and image.mode != "RGBA"):
        image = image.convert(mode)  # palettes and the rest resize well only as RGB(A)
    if max(image.size) > STORED_MAX_SIDE:
        # The bounds are a square, so fitting before turning gives the same size.
        image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE), Image.Resampling.LANCZOS)
    upright = ImageOps.exif_transpose(image)
    icc = upright.info.get("icc_profile")
    if icc:
        try:
            converted = ImageCms.profileToProfile(
                upright,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode=mode,
            )
            if converted is not None:
                upright = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unreadable profile: the pixels as they are
    return upright.convert(mode)


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) <= side:
        return image
    fitted = image.copy()
    fitted.thumbnail((side, side), Image.Resampling.LANCZOS)
    return fitted


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # Nothing of the file's metadata is carried into the encoder.
    image.info = {}
    image.save(
        out, format="WEBP", quality=WEBP_QUALITY, method=WEBP_METHOD, exif=b"", icc_profile=None
    )
    return out.getvalue()
