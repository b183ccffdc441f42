"""Upload throughput and memory: images/s for a 3 MB, 12-megapixel JPEG, and the peak
memory one upload adds to a process.

    python -m bench.upload_bench [--images 12] [--threads 1 2]

Makes a photo-like 4000 x 3000 JPEG of about 3 MB (gradients, edges and sensor-like
noise, with EXIF), then:

1. throughput: `media_upload`'s work without the database (content sniffing, decoding,
   orientation, resizing, both WebP renditions, writing them through the `media` storage
   to a temporary MEDIA_ROOT), for `--images` images on each number of `--threads`
   (MEDIA_PROCESSING_CONCURRENCY set to match), as images/s;
2. memory: in a fresh process, the resident set before one upload and its high-water mark
   during it (Linux's /proc/self/status, the mark reset first), so the figure is what one
   upload in flight adds;
3. the CPU seconds each stage takes (decode, orient, fit, encode each rendition).

Prints one JSON object.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def setup_django(media_root: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    os.environ["MEDIA_ROOT"] = media_root
    import django

    django.setup()
    from django.conf import settings

    settings.MEDIA_ROOT = Path(media_root)
    settings.STORAGES["media"]["OPTIONS"]["location"] = media_root


def photo_jpeg(width: int = 4000, height: int = 3000, target: int = 3_000_000) -> bytes:
    """A JPEG that compresses like a photo: about `target` bytes at 12 megapixels."""
    from PIL import Image, ImageDraw, ImageFilter

    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(base)
    for i in range(0, width, 97):
        draw.line([(i, 0), (width - i, height)], fill=(i % 255, 120, 255 - i % 255), width=7)
    noise = Image.effect_noise((width, height), 28).convert("RGB")
    image = Image.blend(base, noise, 0.18).filter(ImageFilter.SMOOTH)
    exif = Image.Exif()
    exif[0x010F] = "BenchCamera"
    exif[0x0112] = 6
    best = b""
    for quality in (95, 92, 90, 88, 85, 82, 80, 75, 70):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, exif=exif.tobytes())
        best = out.getvalue()
        if len(best) <= target * 1.1:
            break
    return best


def one_upload(data: bytes) -> None:
    from social.media.processing import process_upload
    from social.media.storage import save_renditions

    processed = process_upload(io.BytesIO(data), size=len(data))
    save_renditions(processed)


def throughput(data: bytes, images: int, threads: int) -> tuple[float, float]:
    """(images/s, CPU seconds per image) on `threads` threads."""
    from django.conf import settings

    settings.MEDIA_PROCESSING_CONCURRENCY = threads
    one_upload(data)  # warm-up: imports, codec tables
    todo = list(range(images))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                todo.pop()
            one_upload(data)

    cpu = time.process_time()
    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started
    return images / elapsed, (time.process_time() - cpu) / images


def stages(data: bytes) -> dict[str, float]:
    """CPU seconds of each stage of one upload (the median of three)."""
    from PIL import Image, ImageOps

    from social.media import processing

    def timed(work: Any, *args: Any) -> tuple[float, Any]:
        start = time.process_time()
        result = work(*args)
        return time.process_time() - start, result

    def upright(image: Any) -> Any:
        return ImageOps.exif_transpose(image).convert("RGB")

    def jpeg(image: Any) -> None:
        image.save(io.BytesIO(), "JPEG", quality=85)

    rounds: list[dict[str, float]] = []
    for _ in range(3):
        figures: dict[str, float] = {}
        opened = Image.open(io.BytesIO(data), formats=["JPEG"])
        opened.draft("RGB", (processing.STORED_MAX_SIDE, processing.STORED_MAX_SIDE))
        figures["decode"], _ = timed(opened.load)
        figures["orient"], turned = timed(upright, opened)
        figures["fit_2048"], stored = timed(processing._fit, turned, processing.STORED_MAX_SIDE)
        figures["fit_400"], thumb = timed(processing._fit, stored, processing.THUMBNAIL_MAX_SIDE)
        figures["webp_2048"], _ = timed(processing._encode, stored)
        figures["webp_400"], _ = timed(processing._encode, thumb)
        figures["jpeg_2048_for_comparison"], _ = timed(jpeg, stored)
        rounds.append(figures)
    return {k: round(sorted(r[k] for r in rounds)[1], 3) for k in rounds[0]}


def peak_rss_of_one_upload(path: str) -> None:
    """Child process: prints the peak RSS growth (KiB) of one upload of the file at `path`."""
    with tempfile.TemporaryDirectory() as media_root:
        setup_django(media_root)
        data = Path(path).read_bytes()
        import PIL.WebPImagePlugin  # noqa: F401 (loaded before the baseline)

        from social.media import processing, storage  # noqa: F401

        # The high-water mark starts again here (Linux: clear_refs 5), so it is this upload's.
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kib("VmRSS")
        one_upload(data)
        after = _status_kib("VmHWM")
        print(json.dumps({"before_kib": before, "after_kib": after}))


def _status_kib(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {name} in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--child", default="")
    args = parser.parse_args()
    if args.child:
        peak_rss_of_one_upload(args.child)
        return
    with tempfile.TemporaryDirectory() as media_root:
        setup_django(media_root)
        data = photo_jpeg()
        source = Path(media_root) / "photo.jpg"
        source.write_bytes(data)
        report: dict[str, object] = {
            "jpeg_bytes": len(data),
            "megapixels": 12.0,
            "cpus": os.cpu_count(),
        }
        runs = {str(threads): throughput(data, args.images, threads) for threads in args.threads}
        report["images_per_second"] = {k: round(v[0], 2) for k, v in runs.items()}
        report["cpu_seconds_per_image"] = {k: round(v[1], 3) for k, v in runs.items()}
        report["stage_cpu_seconds"] = stages(data)
        child = subprocess.run(
            [sys.executable, "-m", "bench.upload_bench", "--child", str(source)],
            capture_output=True,
            text=True,
            check=True,
        )
        rss = json.loads(child.stdout.strip().splitlines()[-1])
        report["peak_rss_mib"] = {
            "before_upload": round(rss["before_kib"] / 1024, 1),
            "after_one_upload": round(rss["after_kib"] / 1024, 1),
            "added_by_one_upload": round((rss["after_kib"] - rss["before_kib"]) / 1024, 1),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
