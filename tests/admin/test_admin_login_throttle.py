"""/admin/login/ spends the same failure budget as the API's `login` (social/admin_login.py)."""

import json
from typing import Any

import pytest
from django.test import Client

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = """mutation($l: String!, $p: String!) {
  login(input: {login: $l, password: $p}) { accessToken errors { code } } }"""


def _admin_login(client: Client, password: str, address: str = "203.0.113.7") -> Any:
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": password},
        REMOTE_ADDR=address,
    )


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_failed_admin_logins_lock_the_account_even_for_the_right_password() -> None:
    make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(5):
        assert not _signed_in(_admin_login(client, "guess"))
    locked = _admin_login(client, PASSWORD, address="198.51.100.3")
    assert not _signed_in(locked)
    assert b"Too many failed sign-ins" in locked.content


def test_a_right_admin_login_still_works_and_spends_nothing() -> None:
    make_user("root", is_staff=True, is_superuser=True)
    for _ in range(8):
        assert _signed_in(_admin_login(Client(), PASSWORD))


def test_admin_and_api_failures_share_one_budget() -> None:
    make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    for _ in range(3):
        _admin_login(client, "guess")
    for _ in range(2):
        client.post(
            "/graphql",
            json.dumps({"query": LOGIN, "variables": {"l": "root", "p": "guess"}}),
            content_type="application/json",
        )
    assert not _signed_in(_admin_login(client, PASSWORD))
    answer = client.post(
        "/graphql",
        json.dumps({"query": LOGIN, "variables": {"l": "root", "p": PASSWORD}}),
        content_type="application/json",
    ).json()
    assert answer["data"]["login"]["errors"] == [{"code": "RATE_LIMITED"}]


def test_a_non_staff_user_cannot_sign_in_to_the_admin() -> None:
    make_user("root")
    response = _admin_login(Client(), PASSWORD)
    assert not _signed_in(response)
    assert b"staff account" in response.content


def _change_password(client: Client, old: str, new: str = "a-new-password-for-root-42") -> Any:
    return client.post(
        "/admin/password_change/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_wrong_current_passwords_in_the_admin_spend_the_sign_in_budget() -> None:
    # A stolen staff cookie cannot guess the password on the password change page either.
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    page = client.get("/admin/password_change/")
    assert page.status_code == 200 and b"old_password" in page.content
    for _ in range(5):
        refused = _change_password(client, "guess")
        assert refused.status_code == 200
        assert b"Your old password was entered incorrectly" in refused.content
    locked = _change_password(client, PASSWORD)
    assert locked.status_code == 200
    assert b"Too many wrong passwords" in locked.content
    assert not _signed_in(_admin_login(Client(), PASSWORD, address="198.51.100.3"))
    root.refresh_from_db()
    assert root.check_password(PASSWORD)


def test_a_right_password_change_in_the_admin_goes_through() -> None:
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    response = _change_password(client, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/password_change/done/"
    root.refresh_from_db()
    assert root.check_password("a-new-password-for-root-42")
    assert client.get("/admin/").status_code == 200
