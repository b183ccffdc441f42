"""Django's PostgreSQL backend whose psycopg 3 pool recovers at once from a database restart.

psycopg_pool alone, after PostgreSQL restarts, hands each request its dead connections
one by one (checking each and sleeping with back-off between them) and reconnects with
an exponential back-off (1 s, 2 s, 4 s ...) that it sits out even once the database is
back: requests waited the whole pool timeout (10 s) and failed. Here:

- every connection is checked as it leaves the pool, once (a round trip), unless it left
  the pool less than CHECK_AFTER_IDLE_SECONDS ago and nothing has arrived on its socket
  since: a backend that PostgreSQL terminates (a restart, pg_terminate_backend) sends its
  client an error and closes the socket, so a dead connection is readable; under load
  every request saved a round trip (our CPU and PostgreSQL's). A dead one marks the
  database as suspect instead of starting a back-off inside the request;
- while suspect, a request asks the database itself (one direct connection attempt,
  a few milliseconds when it refuses): still down, the request fails at once with
  DatabaseUnavailable (a retryable error, SERVICE_UNAVAILABLE to clients); back, the pool
  is replaced by a fresh one (no dead connections, no back-off) and the request goes on;
- a failed connection attempt by the pool's own workers marks it suspect too.

The only adapter to Django's and psycopg_pool's internals (docs/internals.md): it
overrides DatabaseWrapper.pool, the property Django 5.2 builds its pool in.
"""

import logging
import select
import threading
from collections.abc import Callable
from time import monotonic
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool, PoolTimeout

logger = logging.getLogger("config.postgresql")

# How long one wait on the pool lasts before the database's state is looked at again.
WAIT_SLICE_SECONDS = 0.5
# A connection idle longer than this is checked with a round trip as it leaves the pool
# (a peer that vanished without closing, a firewall dropping idle connections); one used
# more recently only when its socket has something to read.
CHECK_AFTER_IDLE_SECONDS = 1.0


def _needs_check(conn: psycopg.Connection[Any], now: float) -> bool:
    """Whether `conn` must answer a round trip before it is handed out."""
    last_out: float | None = getattr(conn, "_social_last_out", None)
    conn._social_last_out = now  # type: ignore[attr-defined]
    if last_out is None or now - last_out > CHECK_AFTER_IDLE_SECONDS or conn.closed:
        return True
    try:
        # poll, not select: a process with thousands of sockets has descriptors past 1024.
        poller = select.poll()
        poller.register(conn.fileno(), select.POLLIN)
        events = poller.poll(0)
    except (OSError, ValueError, psycopg.Error):
        return True
    # An idle connection receives nothing unless the server closes it or reports an error
    # (or sends a notice): then the round trip decides.
    return bool(events)


class DatabaseUnavailable(psycopg.OperationalError):
    """PostgreSQL does not accept connections right now; retrying shortly may succeed."""


class RecoveringPool:
    """The pool Django uses: psycopg_pool's, replaced by a fresh one when the database is back."""

    def __init__(
        self, make_pool: Callable[["RecoveringPool"], ConnectionPool], probe: Callable[[], None]
    ):
        self._make_pool = make_pool
        self._probe = probe
        self._lock = threading.Lock()
        self.suspect = False
        self.pool = make_pool(self)

    # What Django calls on its pool.
    def open(self) -> None:
        self.pool.open()

    def close(self, timeout: float = 5.0) -> None:
        self.pool.close(timeout=timeout)

    def get_stats(self) -> dict[str, int]:
        return self.pool.get_stats()

    @property
    def timeout(self) -> float:
        return float(self.pool.timeout)

    def mark_suspect(self) -> None:
        self.suspect = True

    def getconn(self, timeout: float | None = None) -> psycopg.Connection[Any]:
        deadline = monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            if self.suspect:
                self._recover()
            pool = self.pool
            pool.open()
            remaining = deadline - monotonic()
            if remaining <= 0:
                raise PoolTimeout(
                    f"couldn't get a connection after {timeout or self.timeout:.2f} sec"
                )
            try:
                conn = pool.getconn(timeout=min(remaining, WAIT_SLICE_SECONDS))
            except PoolTimeout:
                continue  # busy, or the database went away: looked at again above
            if not _needs_check(conn, monotonic()):
                return conn
            try:
                ConnectionPool.check_connection(conn)
            except psycopg.Error:
                pool.putconn(conn)  # broken: the pool discards it
                self.suspect = True
                continue
            return conn

    def _recover(self) -> None:
        """Fails at once while the database is down; once it is back, starts a fresh pool."""
        try:
            self._probe()
        except psycopg.Error as exc:
            raise DatabaseUnavailable(f"The database is not accepting connections: {exc}") from exc
        with self._lock:
            if not self.suspect:
                return  # another thread recovered meanwhile
            old = self.pool
            self.pool = self._make_pool(self)
            self.pool.open()
            self.suspect = False
        logger.warning("database answers again: connection pool renewed")
        # Its connections in use are closed as they come back; its workers stop.
        threading.Thread(target=old.close, kwargs={"timeout": 5.0}, daemon=True).start()


def _noting_failures(owner: RecoveringPool) -> type[psycopg.Connection[Any]]:
    """A connection class whose failed connection attempts mark `owner` suspect."""

    class NotingConnection(psycopg.Connection):  # type: ignore[type-arg]
        @classmethod
        def connect(cls, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().connect(*args, **kwargs)
            except psycopg.OperationalError:
                owner.mark_suspect()
                raise

    return NotingConnection


class DatabaseWrapper(base.DatabaseWrapper):
    @property
    def pool(self) -> RecoveringPool | None:  # type: ignore[override]
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not pool_options:
            return None
        pools: dict[str, RecoveringPool] = self._connection_pools  # type: ignore[attr-defined]
        if self.alias not in pools:
            options = {} if pool_options is True else dict(pool_options)
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # as Django's own pool: it sets it later
            configure = self._configure_connection  # type: ignore[attr-defined]

            def make_pool(owner: RecoveringPool) -> ConnectionPool:
                return ConnectionPool(
                    kwargs=connect_kwargs,
                    open=False,
                    configure=configure,
                    connection_class=_noting_failures(owner),
                    **options,
                )

            def probe() -> None:
                timeout = int(settings.DB_UNAVAILABLE_PROBE_TIMEOUT)
                psycopg.Connection.connect(**{**connect_kwargs, "connect_timeout": timeout}).close()

            pools.setdefault(self.alias, RecoveringPool(make_pool, probe))
        return pools[self.alias]
