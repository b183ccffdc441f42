"""Images on a share of a seeded database's posts, for the benches' `media` selections.

    python -m bench.seed_media --database postgres://postgres@127.0.0.1:5432/bench_big

`manage.py seed` writes no media. This attaches one image to every `--every`-th post (by id)
and two to every `2 x --every`-th, as rows of social_media and the post's `media_json`, as an
upload would leave them (Media.as_json); no file is written (the benches read URLs only).
Posts that already have media are left alone, so it may run twice.
"""

from __future__ import annotations

import argparse
import sys


def attach_media(every: int = 4) -> int:
    """Attaches images to every `every`-th post without any; returns how many posts."""
    from django.db import transaction
    from django.db.models.functions import Mod

    from social.models import Media, Post

    posts = list(
        Post.objects.filter(has_media=False)
        .annotate(rest=Mod("id", every))
        .filter(rest=0)
        .order_by("pk")
        .values_list("pk", "author_id", "created_at")
    )
    with transaction.atomic():
        for start in range(0, len(posts), 5000):
            batch = posts[start : start + 5000]
            media = [
                Media(
                    owner_id=author_id,
                    post_id=pk,
                    position=position,
                    file=f"m/be/bench-{pk}-{position}.webp",
                    thumbnail=f"m/be/bench-{pk}-{position}-t.webp",
                    width=1600 - 200 * position,
                    height=900 + 100 * position,
                    mime_type="image/webp",
                    size=120_000,
                )
                for pk, author_id, _ in batch
                for position in range(2 if pk % (2 * every) == 0 else 1)
            ]
            Media.objects.bulk_create(media)
            by_post: dict[int, list[Media]] = {}
            for item in media:
                by_post.setdefault(item.post_id, []).append(item)  # type: ignore[arg-type]
            updated = [
                Post(pk=pk, media_json=[m.as_json() for m in items], has_media=True)
                for pk, items in by_post.items()
            ]
            Post.objects.bulk_update(updated, ["media_json", "has_media"])
    return len(posts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--every", type=int, default=4)
    args = parser.parse_args(argv)
    from bench import common

    common.setup_django(args.database)
    print(f"images attached to {attach_media(args.every):,} posts")


if __name__ == "__main__":
    main(sys.argv[1:])
