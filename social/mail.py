"""Account emails: rendered from templates, sent after commit on a background thread.

A rolled-back action sends nothing; a slow or failing mail server never holds up or
fails the request that caused the mail (logged without the mail's content, which holds
tokens, and counted in /metrics). Sending in the background also gives a password-reset
request the same response time whether or not the address has an account.
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string

from observability.metrics import EMAILS_FAILED, EMAILS_SENT

logger = logging.getLogger(__name__)

_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mail")
_pending: set["Future[None]"] = set()
_pending_lock = threading.Lock()


class UnconfiguredEmailBackend(BaseEmailBackend):
    """Without DEBUG and EMAIL_URL: every mail fails (logged and counted), never printed."""

    def send_messages(self, email_messages: Any) -> int:
        raise ImproperlyConfigured("EMAIL_URL is not set: no mail service to send through")


def frontend_link(path: str, token: str) -> str:
    return f"{settings.FRONTEND_URL}/{path}?token={token}"


def _send(template: str, to: str, context: dict[str, Any]) -> None:
    try:
        subject = " ".join(render_to_string(f"mail/{template}_subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"mail/{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
        )
        message.attach_alternative(render_to_string(f"mail/{template}.html", context), "text/html")
        message.send()
    except Exception as exc:
        EMAILS_FAILED.labels(template=template).inc()
        # The class only: a message could quote the mail, and the mail holds a token.
        reason = "EMAIL_URL is not set" if isinstance(exc, ImproperlyConfigured) else ""
        logger.warning("could not send the %s email (%s)", template, reason or type(exc).__name__)
        return
    EMAILS_SENT.labels(template=template).inc()


def _submit(template: str, to: str, context: dict[str, Any]) -> None:
    future = _executor.submit(_send, template, to, context)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_done)


def _done(future: "Future[None]") -> None:
    with _pending_lock:
        _pending.discard(future)


def send_after_commit(*, template: str, to: str, context: dict[str, Any]) -> None:
    """Sends mail/<template>{_subject.txt,.txt,.html} to `to` once the transaction commits."""
    transaction.on_commit(lambda: _submit(template, to, context))


def wait_until_sent(timeout: float = 10) -> None:
    """Waits for the mails handed over so far (tests, and a clean shutdown)."""
    with _pending_lock:
        pending = list(_pending)
    wait(pending, timeout=timeout)
