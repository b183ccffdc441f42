"""Loads a small demo set into an empty database and prints how to sign in."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from config.backend import backend_description
from social.demo import DEMO_PASSWORD, DEMO_STAFF_USERNAME, DEMO_USERNAMES, load_demo_data
from social.models import User


class Command(BaseCommand):
    help = (
        "Load demo users, posts, follows, likes and notifications when the database has no "
        "users; print the backend in use and how to sign in."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Backend: {backend_description()}")
        if User.objects.exists():
            self.stdout.write("Database already has users; demo data not loaded.")
        else:
            load_demo_data()
            self.stdout.write(self.style.SUCCESS("Loaded demo data."))
        # Named only when they are there (a database of other users has none of them).
        present = set(
            User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True)
        )
        names = ", ".join(name for name in DEMO_USERNAMES if name in present)
        if not names:
            return
        if not settings.DEBUG:
            # Known passwords are for a development machine only.
            self.stdout.write(f"Demo accounts: {names}")
            return
        self.stdout.write(f"Demo accounts: {names} (password: {DEMO_PASSWORD!r})")
        if User.objects.filter(username=DEMO_STAFF_USERNAME, is_staff=True).exists():
            self.stdout.write(
                f"Admin (/admin/): {DEMO_STAFF_USERNAME} (password: {DEMO_PASSWORD!r})"
            )
