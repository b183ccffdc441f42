"""`manage.py changepassword` signs the user out of every session, as the admin's form and
the API's reset do (Django's own command only saved the hash: tokens stayed valid)."""

from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command, get_commands

from tests.factories import make_user
from tests.security.test_signed_in_state import _login, _signed_out

pytestmark = pytest.mark.django_db

NEW = "a-new-password-from-the-shell-42"


@pytest.fixture
def typed(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """What the operator types at the command's password prompts, in order."""

    def answers(*passwords: str) -> None:
        given: Iterator[str] = iter(passwords)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(given))

    return answers


def test_ours_replaces_djangos_command() -> None:
    assert get_commands()["changepassword"] == "social"


def test_changepassword_signs_the_user_out_everywhere(
    gql: Any, typed: Callable[..., None], django_capture_on_commit_callbacks: Any
) -> None:
    reader = make_user("reader")
    phone, laptop = _login(gql, reader), _login(gql, reader)
    typed(NEW, NEW)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("changepassword", "Reader", stdout=out)  # usernames match any case
    assert "Password changed successfully for user 'reader'" in out.getvalue()
    reader.refresh_from_db()
    assert reader.check_password(NEW)
    assert _signed_out(gql, phone) and _signed_out(gql, laptop)


def test_a_weak_or_mistyped_password_is_asked_again_and_changes_nothing(
    gql: Any, typed: Callable[..., None]
) -> None:
    reader = make_user("reader")
    pair = _login(gql, reader)
    typed("one-password-42", "another-password-42", "short", "short", "123", "123")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="after 3 attempts"):
        call_command("changepassword", "reader", stdout=out, stderr=err)
    assert "Passwords do not match" in out.getvalue()
    assert "too short" in err.getvalue()
    reader.refresh_from_db()
    assert not reader.check_password("short")
    assert gql("{ me { username } }", token=pair["accessToken"])["data"] == {
        "me": {"username": "reader"}
    }


def test_an_unknown_user_is_an_error(typed: Callable[..., None]) -> None:
    with pytest.raises(CommandError, match="'nobody' does not exist"):
        call_command("changepassword", "nobody")
