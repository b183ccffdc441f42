"""The small demo set that `make run` loads into an empty database."""

from django.db import transaction

from social.services.accounts import user_register

DEMO_PASSWORD = "demo-password-123"
DEMO_USERNAMES = ("alice", "bob", "carol")


@transaction.atomic
def load_demo_data() -> None:
    for username in DEMO_USERNAMES:
        user_register(
            username=username,
            email=f"{username}@example.com",
            password=DEMO_PASSWORD,
            display_name=username.capitalize(),
        )
