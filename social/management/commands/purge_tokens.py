"""Deletes expired refresh tokens: `manage.py purge_tokens`, run daily (docs/operations.md)."""

from typing import Any

from django.core.management.base import BaseCommand

from social.services.tokens import refresh_tokens_purge


class Command(BaseCommand):
    help = "Delete refresh tokens whose whole sign-in has expired (run it as a daily job)."

    def handle(self, *args: Any, **options: Any) -> None:
        purged = refresh_tokens_purge()
        self.stdout.write(self.style.SUCCESS(f"Purged {purged} expired refresh token(s)."))
