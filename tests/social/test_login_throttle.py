"""The login throttle counts and checks in one atomic step, on the configured cache
(Redis in the PostgreSQL + Redis pass, the local-memory cache in the embedded one)."""

import threading
import time
from typing import Any

import pytest
from django.db import connection

from social.errors import ErrorCode, ValidationFailed
from social.models import User
from social.services.accounts import user_authenticate
from tests.factories import PASSWORD, make_user

GUESSES = 20


def _concurrently(login: str, password: str) -> list[str]:
    """Runs GUESSES logins at once; the code each one got ("OK" for a success)."""
    start = threading.Barrier(GUESSES)
    outcomes: list[str] = []
    lock = threading.Lock()

    def guess() -> None:
        try:
            start.wait()
            try:
                user_authenticate(login=login, password=password, client_address="203.0.113.5")
                outcome = "OK"
            except ValidationFailed as exc:
                outcome = str(exc.errors[0].code)
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess) for _ in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.fixture
def slow_password_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A password check that takes as long as a real Argon2 one, so guesses overlap."""
    check = User.check_password

    def slow(self: User, raw_password: str) -> Any:
        time.sleep(0.2)
        return check(self, raw_password)

    monkeypatch.setattr(User, "check_password", slow)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("slow_password_check")
def test_concurrent_wrong_guesses_cannot_slip_past_the_limit(settings: Any) -> None:
    settings.RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT = "5/15m"
    make_user("alice")

    outcomes = _concurrently("alice", "wrong guess")

    assert len(outcomes) == GUESSES
    assert outcomes.count(ErrorCode.INVALID_CREDENTIALS.value) == 5
    assert outcomes.count(ErrorCode.RATE_LIMITED.value) == GUESSES - 5
    # And the account stays locked, even for the right password.
    with pytest.raises(ValidationFailed) as refused:
        user_authenticate(login="alice", password=PASSWORD)
    assert refused.value.errors[0].code == ErrorCode.RATE_LIMITED


@pytest.mark.django_db(transaction=True)
def test_successful_logins_give_their_attempt_back(settings: Any) -> None:
    settings.RATELIMIT_LOGIN_FAILURES_PER_ACCOUNT = "3/15m"
    make_user("bob")
    for _ in range(10):
        user_authenticate(login="bob", password=PASSWORD)
    for _ in range(3):
        with pytest.raises(ValidationFailed):
            user_authenticate(login="bob", password="wrong")
    with pytest.raises(ValidationFailed) as refused:
        user_authenticate(login="bob", password=PASSWORD)
    assert refused.value.errors[0].code == ErrorCode.RATE_LIMITED
