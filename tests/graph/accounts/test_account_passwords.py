"""Changing and resetting a password, with mails read from a real SMTP server."""

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from freezegun import freeze_time

# Imported before any test freezes time: the schema must see the real datetime class.
from graph.schema import schema  # noqa: F401
from social.models import User
from tests.factories import PASSWORD, make_user
from tests.smtp import Inbox, html_of, link_token, text_of

pytestmark = pytest.mark.django_db

LOGIN = """
mutation ($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) { accessToken refreshToken errors { code } }
}
"""
CHANGE = """
mutation ($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    ok errors { field code message }
  }
}
"""
REQUEST = "mutation ($e: String!) { requestPasswordReset(email: $e) { ok errors { code } } }"
RESET = """
mutation ($token: String!, $new: String!) {
  resetPassword(input: {token: $token, newPassword: $new}) { ok errors { field code message } }
}
"""
ME = "{ me { username } }"
VERIFY_EMAIL = "mutation ($t: String!) { verifyEmail(token: $t) { user { id } } }"
REFRESH = "mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
NEW_PASSWORD = "a-brand-new-secret-42"


def _login(gql: Any, username: str, password: str = PASSWORD) -> dict[str, Any]:
    return gql(LOGIN, {"login": username, "password": password})["data"]["login"]  # type: ignore[no-any-return]


def _signed_in(gql: Any, token: str) -> bool:
    return gql(ME, token=token).get("data") is not None


def test_change_password_with_a_wrong_current_one_is_invalid_credentials(gql: Any) -> None:
    make_user("pat")
    token = _login(gql, "pat")["accessToken"]
    result = gql(CHANGE, {"current": "wrong", "new": NEW_PASSWORD}, token=token)["data"]
    assert result["changePassword"]["ok"] is False
    assert [(e["field"], e["code"]) for e in result["changePassword"]["errors"]] == [
        ("currentPassword", "INVALID_CREDENTIALS")
    ]
    assert User.objects.get(username="pat").check_password(PASSWORD)


def test_a_weak_new_password_gets_the_validators_message(gql: Any) -> None:
    make_user("pat")
    token = _login(gql, "pat")["accessToken"]
    result = gql(CHANGE, {"current": PASSWORD, "new": "123"}, token=token)["data"]
    (error,) = result["changePassword"]["errors"]
    assert (error["field"], error["code"]) == ("newPassword", "INVALID")
    assert "too short" in error["message"]
    assert User.objects.get(username="pat").check_password(PASSWORD)


def test_change_password_signs_out_every_other_session_and_keeps_this_one(
    gql: Any, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_user("pat")
    here, elsewhere = _login(gql, "pat"), _login(gql, "pat")
    with django_capture_on_commit_callbacks(execute=True):
        result = gql(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, token=here["accessToken"])
    assert result["data"]["changePassword"] == {"ok": True, "errors": []}
    assert _signed_in(gql, here["accessToken"])
    assert not _signed_in(gql, elsewhere["accessToken"])
    assert _login(gql, "pat", NEW_PASSWORD)["errors"] == []
    assert _login(gql, "pat")["errors"] == [{"code": "INVALID_CREDENTIALS"}]


def test_change_password_needs_sign_in(gql: Any) -> None:
    result = gql(CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _request_reset(gql: Any, email: str, capture: Callable[..., Any]) -> dict[str, Any]:
    with capture(execute=True):
        return gql(REQUEST, {"e": email})["data"]["requestPasswordReset"]  # type: ignore[no-any-return]


def test_reset_request_answers_the_same_for_any_address_and_mails_only_an_account(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_user("pat", email="Pat@Example.com")
    for email in ("nobody@example.com", "not an address", "pat@example.com"):
        assert _request_reset(gql, email, django_capture_on_commit_callbacks) == {
            "ok": True,
            "errors": [],
        }
    (mail,) = smtp_inbox.wait(1)
    assert mail["To"] == "Pat@Example.com"
    assert mail["Subject"] == "Reset your password"
    assert "https://app.example.com/reset-password?token=" in text_of(mail)
    assert "https://app.example.com/reset-password?token=" in html_of(mail)


@pytest.mark.django_db(transaction=True)
def test_a_reset_request_answers_before_its_mail_is_sent_whatever_the_address(
    gql: Any, smtp_inbox: Inbox
) -> None:
    """Known and unknown addresses take the same time: the mail is never sent while the
    request waits, so a slow mail service cannot tell them apart. (Committed for real here,
    so after-commit work runs inside the request as it does when serving.)"""
    make_user("pat")
    smtp_inbox.accepting.clear()  # the mail service holds every mail until told
    answers = [
        gql(REQUEST, {"e": email})["data"]["requestPasswordReset"]
        for email in ("pat@example.com", "nobody@example.com")
    ]
    assert answers == [{"ok": True, "errors": []}] * 2
    assert smtp_inbox.messages == []  # both answered while the mail was still held
    smtp_inbox.accepting.set()
    (mail,) = smtp_inbox.wait(1)
    assert mail["To"] == "pat@example.com"


def test_reset_sets_the_password_signs_out_everywhere_and_works_once(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_user("pat")
    session = _login(gql, "pat")
    _request_reset(gql, "pat@example.com", django_capture_on_commit_callbacks)
    token = link_token(smtp_inbox.wait(1)[0])

    with django_capture_on_commit_callbacks(execute=True):
        result = gql(RESET, {"token": token, "new": NEW_PASSWORD})
    assert result["data"]["resetPassword"] == {"ok": True, "errors": []}
    assert not _signed_in(gql, session["accessToken"])
    assert _login(gql, "pat", NEW_PASSWORD)["errors"] == []

    again = gql(RESET, {"token": token, "new": "yet-another-secret-77"})["data"]["resetPassword"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("token", "INVALID_TOKEN")]
    assert User.objects.get(username="pat").check_password(NEW_PASSWORD)


def test_reset_ends_the_browser_sessions_too(
    gql: Any, client: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """Signed in to the admin or GraphiQL by cookie: that session ends with the reset too."""
    from django.contrib.auth import get_user
    from django.http import HttpRequest

    def cookie_user_id() -> int | None:
        request = HttpRequest()
        request.session = client.session
        return get_user(request).pk  # type: ignore[no-any-return]

    pat = make_user("pat")
    client.force_login(pat)
    assert cookie_user_id() == pat.pk
    _request_reset(gql, "pat@example.com", django_capture_on_commit_callbacks)
    token = link_token(smtp_inbox.wait(1)[0])
    with django_capture_on_commit_callbacks(execute=True):
        assert gql(RESET, {"token": token, "new": NEW_PASSWORD})["data"]["resetPassword"]["ok"]
    assert cookie_user_id() is None


def test_an_expired_reset_token_is_invalid(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_user("pat")
    issued = timezone.now()
    with freeze_time(issued):
        _request_reset(gql, "pat@example.com", django_capture_on_commit_callbacks)
        token = link_token(smtp_inbox.wait(1)[0])
    late = issued + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 5)
    with freeze_time(late):
        result = gql(RESET, {"token": token, "new": NEW_PASSWORD})["data"]["resetPassword"]
    assert [e["code"] for e in result["errors"]] == ["INVALID_TOKEN"]
    assert User.objects.get(username="pat").check_password(PASSWORD)


@pytest.mark.parametrize("token", ["", "garbage", "MQ.bad-token", "!!.x", "MTIzNDU2Nzg5.abc-def"])
def test_a_bad_reset_token_is_invalid_and_changes_nothing(gql: Any, token: str) -> None:
    make_user("pat")
    result = gql(RESET, {"token": token, "new": NEW_PASSWORD})["data"]["resetPassword"]
    assert result["ok"] is False
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("token", "INVALID_TOKEN")]
    assert User.objects.get(username="pat").check_password(PASSWORD)


def test_a_reset_token_of_a_deleted_account_is_invalid(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    pat = make_user("pat")
    _request_reset(gql, "pat@example.com", django_capture_on_commit_callbacks)
    token = link_token(smtp_inbox.wait(1)[0])
    pat.delete()
    make_user("pat")  # the name is free again: the token must not reach the newcomer
    result = gql(RESET, {"token": token, "new": NEW_PASSWORD})["data"]["resetPassword"]
    assert [e["code"] for e in result["errors"]] == ["INVALID_TOKEN"]


def test_a_weak_password_on_reset_keeps_the_token_usable(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    make_user("pat")
    _request_reset(gql, "pat@example.com", django_capture_on_commit_callbacks)
    token = link_token(smtp_inbox.wait(1)[0])
    weak = gql(RESET, {"token": token, "new": "123"})["data"]["resetPassword"]
    assert [(e["field"], e["code"]) for e in weak["errors"]] == [("newPassword", "INVALID")]
    assert gql(RESET, {"token": token, "new": NEW_PASSWORD})["data"]["resetPassword"]["ok"]


def test_reset_requests_are_rate_limited_per_email_and_per_address(gql: Any, settings: Any) -> None:
    settings.RATELIMIT_PASSWORD_RESET_PER_EMAIL = "2/h"
    settings.RATELIMIT_PASSWORD_RESET_PER_ADDRESS = "4/h"
    codes = [
        gql(REQUEST, {"e": "victim@example.com"})["data"]["requestPasswordReset"] for _ in range(3)
    ]
    assert [c["errors"] for c in codes] == [[], [], [{"code": "RATE_LIMITED"}]]
    # Other addresses from the same client: the per-client budget runs out too.
    others = [
        gql(REQUEST, {"e": f"someone{i}@example.com"})["data"]["requestPasswordReset"]
        for i in range(3)
    ]
    assert [o["errors"] for o in others][-1] == [{"code": "RATE_LIMITED"}]


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_never_fails_the_mutation_and_is_counted_in_metrics(
    gql: Any, settings: Any, caplog: Any, client: Any
) -> None:
    """Committed for real: the mail goes out after the commit, as when serving."""
    from social.mail import wait_until_sent
    from tests.observability.test_metrics import sample
    from tests.websocket.servers import free_port

    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    make_user("pat")
    token = _login(gql, "pat")["accessToken"]

    def failed() -> dict[str, float]:
        text = client.get("/metrics").content.decode()
        templates = ("password_reset", "verify_email", "email_changed")
        return {t: sample(text, "emails_failed_total", template=t) for t in templates}

    before = failed()
    assert gql(REQUEST, {"e": "pat@example.com"})["data"]["requestPasswordReset"]["ok"]
    change = (
        'mutation ($p: String!) { changeEmail(input: {newEmail: "pat@new.example", '
        "password: $p}) { user { email } errors { code } } }"
    )
    assert gql(change, {"p": PASSWORD}, token=token)["data"]["changeEmail"] == {
        "user": {"email": "pat@new.example"},
        "errors": [],
    }
    wait_until_sent()
    after = failed()
    assert {t: after[t] - before[t] for t in after} == {
        "password_reset": 1,
        "verify_email": 1,
        "email_changed": 1,
    }
    assert "could not send the password_reset email (ConnectionRefusedError)" in caplog.text
    assert User.objects.get(username="pat").email == "pat@new.example"


def test_no_token_appears_in_the_logs(
    gql: Any,
    client: Any,
    smtp_inbox: Inbox,
    caplog: Any,
    capfd: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """Every kind of token, used every way a client may send one (variables, inline in the
    document, a broken document, a GET query string, a header), and a mail that fails."""
    caplog.set_level("DEBUG")
    register = "mutation ($i: RegisterInput!) { register(input: $i) { accessToken refreshToken } }"
    with django_capture_on_commit_callbacks(execute=True):
        pair = gql(
            register,
            {"i": {"username": "pat", "email": "pat@example.com", "password": PASSWORD}},
        )["data"]["register"]
    verify_token = link_token(smtp_inbox.wait(1)[0])
    _request_reset(gql, "pat@example.com", django_capture_on_commit_callbacks)
    reset_token = link_token(smtp_inbox.wait(2)[-1])

    # Inline literals, a syntax error quoting the token, a GET that is refused.
    inline = f'resetPassword(input: {{token: "{reset_token}", newPassword: "1"}}) {{ ok }}'
    gql(f"mutation {{ {inline} }}")
    gql(f'mutation {{ verifyEmail(token: "{verify_token}" {{ user {{ id }} }} }}')
    client.get(
        "/graphql", {"query": f'mutation {{ verifyEmail(token: "{verify_token}") {{ ok }} }}'}
    )
    gql(VERIFY_EMAIL, {"t": verify_token})
    with django_capture_on_commit_callbacks(execute=True):
        gql(RESET, {"token": reset_token, "new": NEW_PASSWORD})
    gql(ME, token=pair["accessToken"])  # refused: logs its failure
    gql(REFRESH, {"t": pair["refreshToken"]})  # refused: its session was signed out
    # Everything the server logged; not the test's own mail server (aiosmtpd's "mail.log").
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    logged += "".join(capfd.readouterr())
    secrets = [reset_token, verify_token, pair["accessToken"], pair["refreshToken"]]
    secrets += [part for token in secrets for part in re.split(r"[.:]", token) if len(part) > 8]
    assert len(ours) >= 8  # something was logged to search: a line per request at least
    for secret in secrets:
        assert secret not in logged, "a token reached the logs"


@pytest.mark.parametrize(
    ("mutation", "variables"),
    [
        (CHANGE, lambda p: {"current": p, "new": NEW_PASSWORD}),
        (
            "mutation ($p: String!) { deleteAccount(password: $p) { ok errors { code } } }",
            lambda p: {"p": p},
        ),
        (
            'mutation ($p: String!) { changeEmail(input: {newEmail: "n@example.com", '
            "password: $p}) { errors { code } } }",
            lambda p: {"p": p},
        ),
    ],
)
def test_password_guesses_with_a_stolen_token_are_throttled_like_sign_ins(
    gql: Any, settings: Any, mutation: str, variables: Callable[[str], dict[str, str]]
) -> None:
    settings.RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT = "3/15m"
    pat = make_user("pat")
    token = _login(gql, "pat")["accessToken"]

    def codes(password: str) -> list[str]:
        data = gql(mutation, variables(password), token=token)["data"]
        return [e["code"] for e in next(iter(data.values()))["errors"]]

    assert [codes("guess") for _ in range(3)] == [["INVALID_CREDENTIALS"]] * 3
    assert codes(PASSWORD) == ["RATE_LIMITED"]
    pat.refresh_from_db()
    assert pat.check_password(PASSWORD) and pat.email == "pat@example.com"
