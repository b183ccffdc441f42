"""EMAIL_URL: one setting names the mail service. With DEBUG (`make run`) the default prints
mails to the terminal; without DEBUG an unset EMAIL_URL sends nothing, since printed mails,
which hold tokens, would land in the production logs."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.smtp import Inbox, text_of

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({k: getattr(s, k) for k in ('EMAIL_BACKEND', 'EMAIL_HOST', "
    "'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', 'EMAIL_USE_TLS', "
    "'EMAIL_USE_SSL')}))"
)


def _env(**values: str) -> dict[str, str]:
    unset = {"EMAIL_URL", "DEFAULT_FROM_EMAIL", "DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return env | {"DJANGO_SETTINGS_MODULE": "config.settings_test", **values}


def _settings(**values: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", SHOW], env=_env(**values), cwd=ROOT, check=True,
        capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    return json.loads(out.splitlines()[-1])  # type: ignore[no-any-return]


def test_with_debug_and_without_email_url_mails_are_printed_to_the_terminal() -> None:
    backend = _settings(DEBUG="true")["EMAIL_BACKEND"]
    assert backend == "django.core.mail.backends.console.EmailBackend"


def test_without_debug_or_email_url_a_mail_fails_counted_and_is_never_printed() -> None:
    assert _settings()["EMAIL_BACKEND"] == "social.mail.UnconfiguredEmailBackend"
    send = (
        "import django; django.setup(); from social import mail; "
        "from observability.metrics import EMAILS_FAILED as F; "
        "mail._send('password_reset', 'pat@example.com', "
        "{'user': {'username': 'pat'}, 'valid_minutes': 60, "
        "'link': 'https://app.example.com/reset-password?token=S3CRET-T0KEN'}); "
        "print('failed', F.labels(template='password_reset')._value.get())"
    )
    done = subprocess.run(
        [sys.executable, "-c", send], env=_env(), cwd=ROOT, check=True,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "failed 1.0" in done.stdout
    assert "could not send the password_reset email (EMAIL_URL is not set)" in done.stderr
    assert "S3CRET-T0KEN" not in done.stdout + done.stderr


def test_email_url_names_an_smtp_service_with_tls_and_credentials() -> None:
    assert _settings(EMAIL_URL="smtp+tls://apikey:p%40ss@smtp.example.com:587") == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "apikey",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }
    # TLS from the start (port 465) is smtp+ssl; django-environ's smtps is STARTTLS.
    implicit = _settings(EMAIL_URL="smtp+ssl://user:secret@smtp.example.com:465")
    assert (implicit["EMAIL_USE_SSL"], implicit["EMAIL_USE_TLS"]) == (True, False)
    starttls = _settings(EMAIL_URL="smtps://user:secret@smtp.example.com:587")
    assert (starttls["EMAIL_USE_SSL"], starttls["EMAIL_USE_TLS"]) == (False, True)


def test_a_process_given_email_url_sends_to_that_server(smtp_inbox: Inbox) -> None:
    from django.conf import settings

    subprocess.run(
        [sys.executable, "manage.py", "sendtestemail", "ops@example.com"],
        env=_env(
            EMAIL_URL=f"smtp://127.0.0.1:{settings.EMAIL_PORT}",
            DEFAULT_FROM_EMAIL="Social <no-reply@example.com>",
        ),
        cwd=ROOT, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    (mail,) = smtp_inbox.wait(1)
    assert mail["To"] == "ops@example.com"
    assert mail["From"] == "Social <no-reply@example.com>"
    assert "successful" in text_of(mail)


def test_an_empty_email_url_is_unset() -> None:
    """compose.yaml passes EMAIL_URL through, empty when the operator gives none."""
    assert _settings(EMAIL_URL="")["EMAIL_BACKEND"] == "social.mail.UnconfiguredEmailBackend"
    backend = _settings(EMAIL_URL="", DEBUG="true")["EMAIL_BACKEND"]
    assert backend == "django.core.mail.backends.console.EmailBackend"
