"""A throw-away PostgreSQL server of a test's own (initdb + pg_ctl of the machine's binaries),
on a free port in a temporary directory, so the test may stop and start it at will.

The machine's shared server is never touched. initdb refuses to run as root (CI runs as
root): then every command runs as the `postgres` OS user, which owns the directory.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.services import missing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(found[0]).parent if found else None


class PostgresServer:
    def __init__(self, bin_dir: Path, directory: Path, port: int, as_user: str | None) -> None:
        self.bin_dir = bin_dir
        self.data = directory / "data"
        self.directory = directory
        self.port = port
        self.as_user = as_user

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60) -> None:
        prefix = ["runuser", "-u", self.as_user, "--"] if self.as_user else []
        subprocess.run(
            [*prefix, *command],
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def initdb(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )

    def start(self) -> None:
        """Returns once the server accepts connections (pg_ctl -w)."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.directory} -c fsync=off"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")


@contextlib.contextmanager
def own_postgres_server() -> Iterator[PostgresServer]:
    """A started server; stopped and deleted after. Missing binaries skip (fail under CI)."""
    bin_dir = _binaries()
    if bin_dir is None:
        missing("PostgreSQL server binaries are not installed (/usr/lib/postgresql/*/bin)")
    assert bin_dir is not None
    as_user = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            missing("running as root needs runuser to start PostgreSQL as the postgres user")
        as_user = "postgres"
    directory = Path(tempfile.mkdtemp(prefix="pg-outage-"))
    if as_user:
        account = pwd.getpwnam(as_user)
        os.chown(directory, account.pw_uid, account.pw_gid)
    server = PostgresServer(bin_dir, directory, _free_port(), as_user)
    try:
        try:
            server.initdb()
            server.start()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            stderr = getattr(exc, "stderr", b"") or b""
            missing(
                f"could not start a throw-away PostgreSQL: {exc} {stderr.decode(errors='replace')}"
            )
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)
