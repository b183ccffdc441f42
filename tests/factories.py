"""Test data builders: the services themselves, so tests build what users build."""

from itertools import count

from social.models import User

_seq = count(1)
PASSWORD = "a-long-test-password-9"


def make_user(username: str | None = None, *, password: str = PASSWORD, **fields: object) -> User:
    n = next(_seq)
    username = username or f"user{n}"
    user = User(
        username=username,
        email=fields.pop("email", f"{username.lower()}@example.com"),  # type: ignore[arg-type]
        display_name=fields.pop("display_name", username.capitalize()),  # type: ignore[arg-type]
        **fields,
    )
    user.set_password(password)
    user.save()
    return user
