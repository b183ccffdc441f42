"""The embedded default's SQLite file takes concurrent writers without "database is locked"."""

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction


def test_transactions_that_read_then_write_wait_for_each_other(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    alias = "sqlite_writers"
    file = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "w.sqlite3"),
            "OPTIONS": dict(settings.SQLITE_OPTIONS)}  # fmt: skip
    both = connections.configure_settings({"default": settings.DATABASES["default"], alias: file})
    connections.settings[alias] = both[alias]
    with django_db_blocker.unblock():
        _run_two_writers(alias)


def _run_two_writers(alias: str) -> None:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (n INTEGER)")
            cursor.execute("INSERT INTO counter VALUES (0)")
        errors: list[BaseException] = []
        # Without IMMEDIATE both transactions read, then the second writer fails at once.
        both_read = threading.Barrier(2, timeout=0.5)

        def bump() -> None:
            try:
                with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                    cursor.execute("SELECT n FROM counter")
                    # Broken when the other transaction waits at BEGIN: the intended order.
                    with contextlib.suppress(threading.BrokenBarrierError):
                        both_read.wait()
                    time.sleep(0.05)
                    cursor.execute("UPDATE counter SET n = n + 1")
            except BaseException as error:
                errors.append(error)
            finally:
                connections[alias].close()

        threads = [threading.Thread(target=bump) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT n FROM counter")
            assert cursor.fetchone() == (2,)
    finally:
        connections[alias].close()
        del connections.settings[alias]
