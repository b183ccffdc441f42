"""Image files for the media tests, made on the spot (nothing binary in the repository)."""

import io
import struct
import zlib

from PIL import Image

GPS_MARK = b"GPS-SECRET-51.5N"


def jpeg(
    size: tuple[int, int] = (300, 200), *, orientation: int | None = None, quality: int = 85
) -> bytes:
    """A JPEG with EXIF (camera, GPS text, orientation when given)."""
    image = Image.new("RGB", size, (200, 30, 30))
    # The left third green, so orientation can be checked on the stored pixels.
    image.paste((30, 200, 30), (0, 0, size[0] // 3, size[1]))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x010E] = GPS_MARK.decode()  # ImageDescription, standing in for location data
    if orientation is not None:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48), mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 20, 200, 128) if mode == "RGBA" else (10, 20, 200)).save(out, "PNG")
    return out.getvalue()


def webp(size: tuple[int, int] = (80, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, "WEBP")
    return out.getvalue()


def gif(frames: int = 3, size: tuple[int, int] = (40, 30)) -> bytes:
    images = [Image.new("P", size, i * 60) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 100_000) -> bytes:
    """A few hundred bytes claiming side x side pixels."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", rows)
        + _chunk(b"IEND", b"")
    )


SVG_WITH_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
)
POLYGLOT_PAYLOAD = b"<script>alert('polyglot')</script>"


def polyglot_gif() -> bytes:
    """A valid GIF with a script after its trailer (a GIF/HTML polyglot)."""
    return gif(frames=1) + POLYGLOT_PAYLOAD


def truncated_jpeg() -> bytes:
    data = jpeg((800, 600))
    return data[: len(data) // 2]


def jpeg_with_icc_profile(size: tuple[int, int] = (120, 80)) -> bytes:
    """An RGB JPEG carrying an ICC profile (sRGB's own, so the colours stay checkable)."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    Image.new("RGB", size, (0, 128, 255)).save(out, "JPEG", icc_profile=profile)
    return out.getvalue()


def cmyk_jpeg(size: tuple[int, int] = (90, 70)) -> bytes:
    out = io.BytesIO()
    Image.new("CMYK", size, (0, 200, 200, 0)).save(out, "JPEG")
    return out.getvalue()


def png_16bit_gray(size: tuple[int, int] = (60, 40), level: int = 32768) -> bytes:
    """A 16-bit grayscale PNG (what scanners and photo editors export), mid-grey by default."""
    out = io.BytesIO()
    Image.new("I;16", size, level).save(out, "PNG")
    return out.getvalue()


def png_colour_key(mode: str = "RGB") -> bytes:
    """A PNG whose transparency is one colour (a tRNS chunk, no alpha channel): black around
    a square of colour, the black transparent."""
    background, square = ((0, 0, 0), (255, 0, 0)) if mode == "RGB" else (0, 200)
    image = Image.new(mode, (40, 40), background)
    image.paste(square, (10, 10, 30, 30))
    out = io.BytesIO()
    image.save(out, "PNG", transparency=background)
    return out.getvalue()
