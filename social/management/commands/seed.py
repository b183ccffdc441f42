"""Bulk-generates a deterministic network for benchmarks: `manage.py seed --users N ...`."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from social.seed import SEED_PASSWORD, SeedConfig, seed


class Command(BaseCommand):
    help = "Insert N users with posts, follows, likes, replies, #tags and @mentions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, required=True)
        parser.add_argument("--posts-per-user", type=int, default=10)
        parser.add_argument("--follows-per-user", type=int, default=20)
        parser.add_argument("--likes-per-user", type=int, default=10)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--prefix", default="user", help="username prefix (user00042)")
        parser.add_argument("--password", default=SEED_PASSWORD, help="every user's password")
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = seed(
            SeedConfig(
                users=options["users"],
                posts_per_user=options["posts_per_user"],
                follows_per_user=options["follows_per_user"],
                likes_per_user=options["likes_per_user"],
                seed=options["seed"],
                prefix=options["prefix"],
                password=options["password"],
                progress=not options["no_progress"],
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.users} users, {result.follows} follows, {result.posts} posts "
                f"({result.replies} replies), {result.likes} likes, {result.hashtags} hashtags, "
                f"{result.mentions} mentions in {time.monotonic() - started:.1f} s."
            )
        )
