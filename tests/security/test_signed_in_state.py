"""Signed-in state ends at once: a signed-out session or a deactivated user's access token
is refused on every authenticated path, without waiting for the token to expire.

Through the public ways only (sign-in, logout, the admin), so these fail on code that
checked neither the session nor the account after the token was issued.
"""

import html.parser
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from social.models import User
from tests.factories import PASSWORD, make_follow, make_post, make_user

pytestmark = pytest.mark.django_db

LOGIN = """
mutation ($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) { accessToken refreshToken errors { code } }
}
"""
LOGOUT = "mutation ($t: String) { logout(refreshToken: $t) { ok errors { code } } }"
# Every authenticated read and a write, each on its own: one refused path is not enough.
AUTHENTICATED = {
    "me": "{ me { username } }",
    "homeFeed": "{ homeFeed(first: 5) { edges { node { body } } } }",
    "notifications": "{ notifications(first: 5) { edges { node { kind } } } }",
    "unreadNotificationCount": "{ unreadNotificationCount }",
    "createPost": 'mutation { createPost(input: {body: "still here"}) { errors { code } } }',
}


def _login(gql: Any, user: User, **headers: str) -> dict[str, str]:
    data = gql(LOGIN, {"login": user.username, "password": PASSWORD}, **headers)["data"]
    assert data["login"]["errors"] == []
    return data["login"]


def _refused(result: dict[str, Any]) -> bool:
    errors = result.get("errors") or []
    return result["data"] is None and errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


def _reader_with_data() -> User:
    reader, author = make_user("reader"), make_user("author")
    make_follow(reader, author)
    make_follow(author, reader)  # one unread notification for the reader
    make_post(author, "for the feed")
    return reader


def test_a_signed_in_token_reads_every_path(gql: Any) -> None:
    reader = _reader_with_data()
    token = _login(gql, reader)["accessToken"]
    for name, query in AUTHENTICATED.items():
        result = gql(query, token=token)
        assert "errors" not in result, (name, result)
    assert gql(AUTHENTICATED["unreadNotificationCount"], token=token)["data"] == {
        "unreadNotificationCount": 1
    }


@pytest.mark.parametrize("path", AUTHENTICATED)
def test_logout_stops_the_access_token_at_once(
    gql: Any, path: str, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    reader = _reader_with_data()
    pair = _login(gql, reader)
    with django_capture_on_commit_callbacks(execute=True):
        assert gql(LOGOUT, {"t": pair["refreshToken"]}, token=pair["accessToken"])["data"][
            "logout"
        ] == {"ok": True, "errors": []}
    assert _refused(gql(AUTHENTICATED[path], token=pair["accessToken"]))


def test_logout_everywhere_stops_every_access_token_of_the_user(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    reader = _reader_with_data()
    phone, laptop = _login(gql, reader), _login(gql, reader)
    other = _login(gql, make_user("other"))
    with django_capture_on_commit_callbacks(execute=True):
        assert gql(LOGOUT, token=phone["accessToken"])["data"]["logout"]["ok"] is True
    for path, query in AUTHENTICATED.items():
        assert _refused(gql(query, token=laptop["accessToken"])), path
    assert gql(AUTHENTICATED["me"], token=other["accessToken"])["data"]["me"] == {
        "username": "other"
    }


class _FormFields(html.parser.HTMLParser):
    """The values a browser would submit from the admin's change form."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in {"submit", "button"}:
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.setdefault(self._select, a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _deactivate_in_admin(user: User) -> None:
    moderator = make_user("moderator", is_staff=True, is_superuser=True)
    admin = Client()
    admin.force_login(moderator)
    url = f"/admin/social/user/{user.pk}/change/"
    page = admin.get(url)
    assert page.status_code == 200
    fields = _FormFields()
    fields.feed(page.content.decode())
    data = {k: v for k, v in fields.data.items() if k not in {"is_active", "_addanother"}}
    data["_save"] = "Save"
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert user.is_active is False


@pytest.mark.parametrize("path", AUTHENTICATED)
def test_deactivating_a_user_in_the_admin_stops_their_tokens_at_once(
    gql: Any, path: str, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    reader = _reader_with_data()
    token = _login(gql, reader)["accessToken"]
    assert "errors" not in gql(AUTHENTICATED[path], token=token)
    with django_capture_on_commit_callbacks(execute=True):
        _deactivate_in_admin(reader)
    assert _refused(gql(AUTHENTICATED[path], token=token))


def test_a_process_that_starts_after_the_revocation_refuses_the_token(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    reader = _reader_with_data()
    pair = _login(gql, reader)
    with django_capture_on_commit_callbacks(execute=True):
        gql(LOGOUT, {"t": pair["refreshToken"]}, token=pair["accessToken"])
    from social import revocations

    # What a process that was down during the logout holds: nothing yet.
    revocations.forget_all()
    assert _refused(gql(AUTHENTICATED["homeFeed"], token=pair["accessToken"]))


def test_checking_the_session_costs_no_query_per_request(
    gql: Any, django_assert_num_queries: Any
) -> None:
    token = _login(gql, make_user("quiet"))["accessToken"]
    gql("{ __typename }", token=token)  # the process has read the revocations once
    with django_assert_num_queries(0):
        result = gql("{ __typename }", token=token)
    assert result == {"data": {"__typename": "Query"}}


def test_an_unknown_session_in_a_token_is_refused_like_a_forged_one(gql: Any) -> None:
    import jwt
    from django.conf import settings

    token = _login(gql, make_user("mallory"))["accessToken"]
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.pop("sid")
    no_session = jwt.encode(claims, settings.SECRET_KEY, algorithm="HS256")
    assert _refused(gql(AUTHENTICATED["me"], token=no_session))


REFRESH = (
    "mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken errors { code } } }"
)


def _signed_out(gql: Any, pair: dict[str, str]) -> bool:
    refreshed = gql(REFRESH, {"t": pair["refreshToken"]})["data"]["refreshToken"]
    return _refused(gql(AUTHENTICATED["me"], token=pair["accessToken"])) and (
        refreshed["accessToken"] is None
    )


def test_a_password_set_in_the_admin_signs_the_user_out_everywhere(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # A moderator resets a compromised account's password: whoever holds its tokens is out.
    reader = _reader_with_data()
    pair = _login(gql, reader)
    admin = Client()
    admin.force_login(make_user("moderator", is_staff=True, is_superuser=True))
    new = "a-new-password-for-reader-42"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/admin/social/user/{reader.pk}/password/",
            {"password1": new, "password2": new, "usable_password": "true"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    reader.refresh_from_db()
    assert reader.check_password(new)
    assert _signed_out(gql, pair)


def test_a_staff_users_own_password_change_in_the_admin_signs_out_their_api_sessions(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    staff = make_user("staffer", is_staff=True)
    pair = _login(gql, staff)
    admin = Client()
    admin.force_login(staff)
    new = "a-new-password-for-staff-42"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/password_change/",
            {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _signed_out(gql, pair)
    # The admin session that changed it goes on.
    assert admin.get("/admin/").status_code == 200
