"""Removes uploads left unattached past MEDIA_UNATTACHED_HOURS, rows and files (a scheduled
job: docs/operations.md; `make run` runs it at start)."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from social.services.media import purge_unattached


class Command(BaseCommand):
    help = "Remove uploads that no post or avatar uses, older than MEDIA_UNATTACHED_HOURS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=None,
            help="Age past which an unattached upload goes (default MEDIA_UNATTACHED_HOURS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["older_than_hours"]
        age = None if hours is None else timedelta(hours=hours)
        removed = purge_unattached(older_than=age)
        self.stdout.write(f"Removed {removed} unattached upload(s).")
