"""A real SMTP server in the test process (aiosmtpd) on a free local port."""

import asyncio
import email
import email.policy
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from social import mail
from tests.websocket.servers import free_port

HOLD_SECONDS = 5


@dataclass
class Inbox:
    """What the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    # Cleared: the server holds each mail (a slow mail service) until it is set again, or
    # for HOLD_SECONDS, less than the client's EMAIL_TIMEOUT, so a held mail is never lost.
    accepting: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.accepting.set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.to_thread(self.accepting.wait, HOLD_SECONDS)
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def wait(self, count: int = 1, timeout: float = 10) -> list[EmailMessage]:
        """The messages once at least `count` arrived (mails leave on a background thread)."""
        mail.wait_until_sent(timeout)
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.wait(0) if address in str(m["To"])]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def link_token(message: EmailMessage) -> str:
    """The token of the one frontend link in the plain-text body."""
    for word in text_of(message).split():
        if "?token=" in word:
            return word.split("?token=", 1)[1]
    raise AssertionError(f"no link in {text_of(message)!r}")


@pytest.fixture
def smtp_inbox(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 2 * HOLD_SECONDS
    settings.FRONTEND_URL = "https://app.example.com"
    try:
        yield inbox
    finally:
        inbox.accepting.set()
        mail.wait_until_sent()
        controller.stop()
