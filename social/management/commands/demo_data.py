"""Loads a small demo set into an empty database and prints how to sign in."""

from typing import Any

from django.core.management.base import BaseCommand

from social.demo import DEMO_PASSWORD, DEMO_USERNAMES, load_demo_data
from social.models import User


class Command(BaseCommand):
    help = "Load demo users, posts and follows when the database has no users."

    def handle(self, *args: Any, **options: Any) -> None:
        if User.objects.exists():
            self.stdout.write("Database already has users; demo data not loaded.")
        else:
            load_demo_data()
            self.stdout.write(self.style.SUCCESS("Loaded demo data."))
        self.stdout.write(
            f"Demo accounts: {', '.join(DEMO_USERNAMES)} (password: {DEMO_PASSWORD!r})"
        )
