"""An account closed from `manage.py shell` is signed out like one closed by the services.

`user.is_active = False; user.save()` (or `suspended_at` set and saved) signs every
session out at once, on every process: access tokens are checked against sessions in
memory, never against the user row, so without that the tokens lived on until expiry.
A write that skips save() (`QuerySet.update()`, SQL) still bypasses it (docs/security.md);
the places that load the user (sign-in, refresh, mutations, `me`, a socket's
connection_init) refuse such an account anyway.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from social.models import SessionRevocation, User
from tests.factories import PASSWORD
from tests.security.test_signed_in_state import (
    AUTHENTICATED,
    LOGIN,
    REFRESH,
    _login,
    _reader_with_data,
    _refused,
    _signed_out,
)

pytestmark = pytest.mark.django_db


def _close_in_shell(user: User, how: str) -> None:
    # As typed in `manage.py shell`: a row loaded afresh, changed and saved whole.
    row = User.objects.get(pk=user.pk)
    if how == "deactivated":
        row.is_active = False
    else:
        row.suspended_at = timezone.now()
    row.save()


@pytest.mark.parametrize("how", ["deactivated", "suspended"])
@pytest.mark.parametrize("path", AUTHENTICATED)
def test_an_account_closed_in_the_shell_is_refused_on_the_next_request(
    gql: Any, path: str, how: str, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    reader = _reader_with_data()
    token = _login(gql, reader)["accessToken"]
    assert "errors" not in gql(AUTHENTICATED[path], token=token)
    with django_capture_on_commit_callbacks(execute=True):
        _close_in_shell(reader, how)
    assert _refused(gql(AUTHENTICATED[path], token=token))


def test_every_session_of_the_account_is_signed_out(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    reader = _reader_with_data()
    phone, laptop = _login(gql, reader), _login(gql, reader)
    other = _login(gql, User.objects.get(username="author"))
    with django_capture_on_commit_callbacks(execute=True):
        _close_in_shell(reader, "deactivated")
    assert _signed_out(gql, phone) and _signed_out(gql, laptop)
    assert gql("{ me { username } }", token=other["accessToken"])["data"] == {
        "me": {"username": "author"}
    }


def test_saving_an_open_account_signs_nothing_out(gql: Any) -> None:
    reader = _reader_with_data()
    token = _login(gql, reader)["accessToken"]
    row = User.objects.get(pk=reader.pk)
    row.bio = "edited in the shell"
    row.save()
    assert not SessionRevocation.objects.exists()
    assert gql("{ me { bio } }", token=token)["data"] == {"me": {"bio": "edited in the shell"}}


def test_saving_a_closed_account_again_signs_nothing_out_again(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    reader = _reader_with_data()
    _login(gql, reader)
    with django_capture_on_commit_callbacks(execute=True):
        _close_in_shell(reader, "deactivated")
    assert SessionRevocation.objects.count() == 1
    row = User.objects.get(pk=reader.pk)
    row.bio = "still closed"
    with django_capture_on_commit_callbacks(execute=True) as published:
        row.save()
    assert SessionRevocation.objects.count() == 1 and published == []


def test_an_account_closed_by_update_is_refused_where_the_user_is_loaded(gql: Any) -> None:
    # update() skips save(): no sign-out, but sign-in, refresh, writes and `me` each load
    # the account and refuse it (reads by id alone serve until the token expires).
    reader = _reader_with_data()
    pair = _login(gql, reader)
    User.objects.filter(pk=reader.pk).update(is_active=False)
    assert gql(REFRESH, {"t": pair["refreshToken"]})["data"]["refreshToken"]["accessToken"] is None
    assert _refused(gql(AUTHENTICATED["createPost"], token=pair["accessToken"]))
    assert gql(AUTHENTICATED["me"], token=pair["accessToken"])["data"] == {"me": None}
    login = gql(LOGIN, {"login": "reader", "password": PASSWORD})["data"]["login"]
    assert login["accessToken"] is None and login["errors"]
