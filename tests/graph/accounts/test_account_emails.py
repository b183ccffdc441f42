"""Email verification and changing the address, with mails read from a real SMTP server."""

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
from tests.smtp import Inbox, link_token, text_of

pytestmark = pytest.mark.django_db

REGISTER = """
mutation ($input: RegisterInput!) {
  register(input: $input) { accessToken user { emailVerified } errors { code } }
}
"""
VERIFY = """
mutation ($t: String!) {
  verifyEmail(token: $t) { user { username } errors { field code } }
}
"""
REQUEST = "mutation { requestEmailVerification { ok errors { code } } }"
CHANGE = """
mutation ($email: String!, $password: String!) {
  changeEmail(input: {newEmail: $email, password: $password}) {
    user { email emailVerified } errors { field code }
  }
}
"""
ME = "{ me { email emailVerified } }"
USER = "query ($u: String!) { user(username: $u) { email emailVerified } }"


def _register(gql: Any, capture: Callable[..., Any], username: str = "vera") -> str:
    variables = {
        "input": {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    }
    with capture(execute=True):
        data = gql(REGISTER, variables)["data"]["register"]
    assert data["errors"] == [] and data["user"]["emailVerified"] is False
    return str(data["accessToken"])


def test_register_mails_a_link_that_verifies_the_address_once(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    token = _register(gql, django_capture_on_commit_callbacks)
    (mail,) = smtp_inbox.wait(1)
    assert mail["To"] == "vera@example.com"
    assert "https://app.example.com/verify-email?token=" in text_of(mail)
    link = link_token(mail)

    result = gql(VERIFY, {"t": link})["data"]["verifyEmail"]
    assert result == {"user": {"username": "vera"}, "errors": []}
    assert gql(ME, token=token)["data"]["me"] == {
        "email": "vera@example.com",
        "emailVerified": True,
    }
    again = gql(VERIFY, {"t": link})["data"]["verifyEmail"]
    assert again == {"user": None, "errors": [{"field": "token", "code": "INVALID_TOKEN"}]}


def test_email_verified_is_visible_to_the_user_only(gql: Any) -> None:
    make_user("vera")
    other = make_user("otto")
    result = gql(USER, {"u": "vera"}, as_user=other)["data"]["user"]
    assert result == {"email": None, "emailVerified": None}
    assert gql(USER, {"u": "vera"})["data"]["user"] == {"email": None, "emailVerified": None}


def test_request_email_verification_sends_a_new_link(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    vera = make_user("vera")
    with django_capture_on_commit_callbacks(execute=True):
        result = gql(REQUEST, as_user=vera)["data"]["requestEmailVerification"]
    assert result == {"ok": True, "errors": []}
    (mail,) = smtp_inbox.wait(1)
    assert gql(VERIFY, {"t": link_token(mail)})["data"]["verifyEmail"]["errors"] == []
    assert User.objects.get(pk=vera.pk).email_verified


def test_request_email_verification_needs_sign_in(gql: Any) -> None:
    assert gql(REQUEST)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_an_expired_verification_token_is_invalid(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    issued = timezone.now()
    with freeze_time(issued):
        _register(gql, django_capture_on_commit_callbacks)
        link = link_token(smtp_inbox.wait(1)[0])
    with freeze_time(issued + timedelta(seconds=settings.EMAIL_VERIFICATION_TIMEOUT + 5)):
        result = gql(VERIFY, {"t": link})["data"]["verifyEmail"]
    assert result["errors"] == [{"field": "token", "code": "INVALID_TOKEN"}]
    assert not User.objects.get(username="vera").email_verified


@pytest.mark.parametrize("token", ["", "garbage", "a:b:c", "eyJ1IjoxfQ:1abc:forged"])
def test_a_bad_verification_token_is_invalid(gql: Any, token: str) -> None:
    make_user("vera")
    result = gql(VERIFY, {"t": token})["data"]["verifyEmail"]
    assert result == {"user": None, "errors": [{"field": "token", "code": "INVALID_TOKEN"}]}


def test_change_email_marks_it_unverified_mails_the_new_address_and_tells_the_old(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    token = _register(gql, django_capture_on_commit_callbacks)
    first_link = link_token(smtp_inbox.wait(1)[0])
    gql(VERIFY, {"t": first_link})

    with django_capture_on_commit_callbacks(execute=True):
        result = gql(CHANGE, {"email": "vera@new.example", "password": PASSWORD}, token=token)
    assert result["data"]["changeEmail"] == {
        "user": {"email": "vera@new.example", "emailVerified": False},
        "errors": [],
    }
    smtp_inbox.wait(3)
    (verification,) = smtp_inbox.to("vera@new.example")
    notices = [m for m in smtp_inbox.to("vera@example.com") if "changed" in m["Subject"]]
    assert len(notices) == 1 and "vera@new.example" in text_of(notices[0])
    assert gql(VERIFY, {"t": link_token(verification)})["data"]["verifyEmail"]["errors"] == []
    assert gql(ME, token=token)["data"]["me"]["emailVerified"] is True


def test_a_verification_token_is_bound_to_its_address(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    token = _register(gql, django_capture_on_commit_callbacks)
    old_link = link_token(smtp_inbox.wait(1)[0])
    with django_capture_on_commit_callbacks(execute=True):
        gql(CHANGE, {"email": "vera@new.example", "password": PASSWORD}, token=token)
    result = gql(VERIFY, {"t": old_link})["data"]["verifyEmail"]
    assert result["errors"] == [{"field": "token", "code": "INVALID_TOKEN"}]
    assert not User.objects.get(username="vera").email_verified


def test_changing_only_the_case_of_the_address_keeps_it_verified_and_mails_nobody(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # Addresses are one whatever their case (unique case-insensitively, tokens bound to the
    # lower-cased form): re-spelling a verified one proves nothing new and is not a change.
    vera = make_user("vera", email_verified_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        result = gql(CHANGE, {"email": "Vera@Example.com", "password": PASSWORD}, as_user=vera)
    assert result["data"]["changeEmail"] == {
        "user": {"email": "Vera@Example.com", "emailVerified": True},
        "errors": [],
    }
    assert User.objects.get(pk=vera.pk).email_verified
    assert smtp_inbox.wait(1, timeout=2) == []


@pytest.mark.parametrize(
    ("email", "password", "error"),
    [
        (
            "vera@new.example",
            "wrong-password",
            {"field": "password", "code": "INVALID_CREDENTIALS"},
        ),
        ("OTTO@Example.COM", PASSWORD, {"field": "newEmail", "code": "TAKEN"}),
        ("not an address", PASSWORD, {"field": "newEmail", "code": "INVALID"}),
        ("", PASSWORD, {"field": "newEmail", "code": "REQUIRED"}),
    ],
)
def test_a_refused_email_change_changes_nothing(
    gql: Any, email: str, password: str, error: dict[str, str]
) -> None:
    vera = make_user("vera")
    make_user("otto")
    result = gql(CHANGE, {"email": email, "password": password}, as_user=vera)
    assert result["data"]["changeEmail"] == {"user": None, "errors": [error]}
    assert User.objects.get(pk=vera.pk).email == "vera@example.com"


def test_change_email_needs_sign_in(gql: Any) -> None:
    result = gql(CHANGE, {"email": "x@example.com", "password": PASSWORD})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_no_mail_is_stored_anywhere(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """Mails hold tokens: no table keeps a copy, or a token from one (no email log)."""
    from django.apps import apps
    from django.core import serializers

    reset = "mutation ($e: String!) { requestPasswordReset(email: $e) { ok } }"
    token = _register(gql, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        gql(reset, {"e": "vera@example.com"})
        gql(CHANGE, {"email": "vera@new.example", "password": PASSWORD}, token=token)
    mails = smtp_inbox.wait(4)
    assert len(mails) == 4
    tokens = [link_token(m) for m in mails if "token=" in text_of(m)]
    assert len(tokens) == 3
    stored = "".join(
        serializers.serialize("json", model._default_manager.all())
        for model in apps.get_models(include_auto_created=True)
    )
    assert "vera@example.com" in stored or "vera@new.example" in stored  # the dump has rows
    for mail in mails:
        assert str(mail["Subject"]) not in stored
    secrets = tokens + [part for t in tokens for part in re.split(r"[.:-]", t) if len(part) > 16]
    for secret in secrets:
        assert secret not in stored


@pytest.mark.django_db(transaction=True)
def test_a_change_whose_transaction_rolls_back_mails_nobody(smtp_inbox: Inbox) -> None:
    """Mails leave after the commit: a change undone by its caller's transaction (a later
    step failing) sends neither the verification nor the notice."""
    from django.db import transaction

    from social import mail
    from social.services.emails import email_change

    vera = make_user("vera")
    with pytest.raises(RuntimeError), transaction.atomic():
        email_change(user=vera, new_email="vera@new.example", password=PASSWORD)
        raise RuntimeError("a later step of the same transaction fails")
    assert User.objects.get(pk=vera.pk).email == "vera@example.com"
    mail.wait_until_sent()
    assert smtp_inbox.wait(1, timeout=2) == []
    vera.refresh_from_db()
    email_change(user=vera, new_email="vera@new.example", password=PASSWORD)
    assert len(smtp_inbox.wait(2)) == 2  # committed: both mails leave


def test_a_name_with_markup_characters_reads_as_typed_in_the_text_body_and_escaped_in_html(
    gql: Any, smtp_inbox: Inbox, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from tests.smtp import html_of

    variables = {
        "input": {
            "username": "tom",
            "email": "o'brien@example.com",
            "password": PASSWORD,
            "displayName": "Tom & <Jerry>",
        }
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert gql(REGISTER, variables)["data"]["register"]["errors"] == []
    (mail,) = smtp_inbox.wait(1)
    assert "Hello Tom & <Jerry>," in text_of(mail)
    assert "o'brien@example.com" in text_of(mail)
    assert "Tom &amp; &lt;Jerry&gt;" in html_of(mail)
    assert "<Jerry>" not in html_of(mail)


def test_verification_mails_to_one_address_are_rate_limited_from_any_account(
    gql: Any,
    settings: Any,
    smtp_inbox: Inbox,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A new link, or a change of address to someone else's mailbox, from one account or
    many: the address gets at most RATELIMIT_VERIFICATION_EMAILS."""
    settings.RATELIMIT_VERIFICATION_EMAILS = "2/h"
    victim = "victim@example.com"
    mallory, trudy = make_user("mallory", email=victim), make_user("trudy")
    with django_capture_on_commit_callbacks(execute=True):
        first = gql(REQUEST, as_user=mallory)["data"]["requestEmailVerification"]
        # Mallory moves off the address, Trudy takes it: one more mail, then none.
        gql(CHANGE, {"email": "m2@example.com", "password": PASSWORD}, as_user=mallory)
        second = gql(CHANGE, {"email": victim, "password": PASSWORD}, as_user=trudy)
        third = gql(CHANGE, {"email": "t2@example.com", "password": PASSWORD}, as_user=trudy)
        fourth = gql(CHANGE, {"email": victim, "password": PASSWORD}, as_user=mallory)
        fifth = gql(REQUEST, as_user=trudy)["data"]["requestEmailVerification"]
    assert first == {"ok": True, "errors": []}
    assert second["data"]["changeEmail"]["errors"] == []
    assert third["data"]["changeEmail"]["errors"] == []
    assert fourth["data"]["changeEmail"] == {
        "user": None,
        "errors": [{"field": None, "code": "RATE_LIMITED"}],
    }
    assert User.objects.get(pk=mallory.pk).email == "m2@example.com"  # nothing changed
    assert fifth == {"ok": True, "errors": []}  # t2@ has a budget of its own
    assert len(smtp_inbox.wait(8)) == 8  # verifications and notices of the four that went
    verifications = [m for m in smtp_inbox.to(victim) if "Confirm" in str(m["Subject"])]
    assert len(verifications) == 2
