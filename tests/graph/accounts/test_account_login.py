"""login: by username or email, case-insensitively; one error for every failure."""

from typing import Any

import pytest

from social.models import RefreshToken
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = """
mutation($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) {
    user { username email } accessToken refreshToken errors { field code message }
  }
}
"""


def login(gql: Any, login: str, password: str = PASSWORD, **headers: str) -> dict[str, Any]:
    return gql(LOGIN, {"login": login, "password": password}, **headers)["data"]["login"]


@pytest.mark.parametrize("name", ["Carol", "carol", "CAROL", " carol "])
def test_login_by_username_ignores_case(gql: Any, name: str) -> None:
    make_user("Carol")
    payload = login(gql, name)
    assert payload["errors"] == []
    assert payload["user"] == {"username": "Carol", "email": "carol@example.com"}
    assert gql("{ me { username } }", token=payload["accessToken"])["data"]["me"]
    assert RefreshToken.objects.count() == 1


@pytest.mark.parametrize("email", ["carol@example.com", "CAROL@Example.COM"])
def test_login_by_email_ignores_case(gql: Any, email: str) -> None:
    make_user("Carol")
    assert login(gql, email)["user"]["username"] == "Carol"


def test_login_records_last_login(gql: Any) -> None:
    user = make_user("dave")
    login(gql, "dave")
    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    ("who", "password"),
    [("nobody", PASSWORD), ("erin", "wrong-password"), ("erin@example.com", "x"), ("", "")],
)
def test_unknown_user_and_wrong_password_look_alike(gql: Any, who: str, password: str) -> None:
    make_user("erin")
    payload = login(gql, who, password)
    assert payload == {
        "user": None,
        "accessToken": None,
        "refreshToken": None,
        "errors": [
            {"field": None, "code": "INVALID_CREDENTIALS", "message": "Wrong login or password."}
        ],
    }
    assert not RefreshToken.objects.exists()


def test_inactive_user_cannot_log_in(gql: Any) -> None:
    make_user("frank", is_active=False)
    assert login(gql, "frank")["errors"][0]["code"] == "INVALID_CREDENTIALS"


def test_argon2_is_the_production_hasher() -> None:
    from django.conf import settings
    from django.contrib.auth.hashers import check_password, get_hasher, make_password

    hashers = settings.PRODUCTION_PASSWORD_HASHERS
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = make_password("pw-for-argon", hasher=get_hasher("argon2"))
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("pw-for-argon", encoded)
    assert not check_password("pw-for-argon!", encoded)
