"""What every benchmark needs: production-like server processes, tokens, CPU readings.

The servers run with DEBUG off, as in production; only BENCH_VIEWS (the hand-written
baseline) and a long access-token lifetime differ. Several processes share one
listening socket, so the kernel spreads connections over them with no proxy in between.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
NODE = "node"
BENCH_SECRET = "bench-only-secret-key-0123456789abcdef-not-for-production"  # noqa: S105


def server_env(database_url: str, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "BENCH_VIEWS": "true",
        # The runs scrape each server's /metrics from this machine.
        "METRICS_ALLOWED_IPS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        # Tokens are minted once before the run; they must outlive it.
        "ACCESS_TOKEN_TTL": "86400",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def setup_django(database_url: str, redis_url: str | None = None, **extra: str) -> None:
    """Configures this process like the servers, to mint tokens and count queries."""
    os.environ.update(server_env(database_url, redis_url, **extra))
    if not redis_url:
        os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def write_report(out: Path | None, report: dict[str, Any]) -> None:
    """Saves a bench run's figures as JSON (bench/report.py renders them)."""
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    sock: socket.socket | None = None

    def pids(self) -> list[int]:
        """The server's processes and their children (uvicorn's workers)."""
        pids = [p.pid for p in self.processes]
        for pid in list(pids):
            pids.extend(_children(pid))
        return pids

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for pid in self.pids())

    def rss_bytes(self) -> int:
        return sum(_rss_bytes(pid) for pid in self.pids())

    def stop(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if self.sock is not None:
            self.sock.close()


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat; after the ")" they are 12 and 13.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def postgres_cpu_seconds() -> float:
    """CPU of every PostgreSQL process on the machine (the bench is the main user)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def _listening_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


def start_daphne(
    env: dict[str, str],
    processes: int = 2,
    port: int | None = None,
    app: str = "config.asgi:application",
) -> Server:
    """daphne, `processes` of them accepting on one shared socket."""
    port = port or free_port()
    sock = _listening_socket(port)
    fd = sock.fileno()
    server = Server(name=f"daphne x{processes}", url=f"http://127.0.0.1:{port}", sock=sock)
    # daphne adopts an inherited socket the systemd way (fd 3, LISTEN_FDS/FDNAMES/PID); the
    # shell sets LISTEN_PID to its own pid, which exec hands on to daphne.
    daphne = f"{VENV_BIN / 'python'} -m bench.daphne_server"
    command = (
        f"export LISTEN_FDS=1 LISTEN_FDNAMES=http LISTEN_PID=$$; exec {daphne} -v 0 "
        "--websocket_connect_timeout 30 "
        "-e systemd:domain=INET:index=0 "
        f"{app} 3<&{fd}"
    )
    for _ in range(processes):
        server.processes.append(
            subprocess.Popen(["/bin/bash", "-c", command], cwd=ROOT, env=env, pass_fds=[fd])
        )
    return server


def _start_workers(
    env: dict[str, str], name: str, port: int, command: list[str], root: Path = ROOT
) -> Server:
    """A server that forks its own workers: one process to start and stop."""
    server = Server(name=name, url=f"http://127.0.0.1:{port}")
    server.processes.append(subprocess.Popen(command, cwd=root, env=env))
    return server


def start_uvicorn(
    env: dict[str, str], workers: int = 2, port: int | None = None, root: Path = ROOT
) -> Server:
    """uvicorn serving config.asgi; `root`: another checkout of the project to serve (a
    baseline commit, in the same run)."""
    port = port or free_port()
    return _start_workers(
        {**env, "PYTHONPATH": str(root)} if root != ROOT else env,
        f"uvicorn x{workers}",
        port,
        [
            str(VENV_BIN / "uvicorn"),
            "config.asgi:application",
            f"--app-dir={root}",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--workers={workers}",
            "--no-access-log",
            "--log-level=warning",
            # Channels' router has no lifespan handler.
            "--lifespan=off",
            *UVICORN_WS_OPTIONS,
        ],
        root,
    )


# Set by subs_bench --ws-options to compare uvicorn's WebSocket settings.
UVICORN_WS_OPTIONS: list[str] = []


def start_granian(env: dict[str, str], workers: int = 2, port: int | None = None) -> Server:
    """granian serving config.asgi (HTTP and WebSocket); Channels has no lifespan handler."""
    port = port or free_port()
    return _start_workers(
        env,
        f"granian x{workers}",
        port,
        [
            str(VENV_BIN / "granian"),
            "--interface=asginl",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--workers={workers}",
            "--log-level=warning",
            "config.asgi:application",
        ],
    )


def start_gunicorn(env: dict[str, str], workers: int = 2, port: int | None = None) -> Server:
    """HTTP from a WSGI server (config/wsgi.py): no event loop and no thread hop per request."""
    port = port or free_port()
    return _start_workers(
        env,
        f"gunicorn gthread x{workers}",
        port,
        [
            str(VENV_BIN / "gunicorn"),
            "config.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--worker-class=gthread",
            "--threads=4",
            "--log-level=warning",
        ],
    )


def start_postgraphile(database_url: str, port: int | None = None) -> Server:
    """PostGraphile 4 (bench/peer) over the same database, read-only, JWT as ours."""
    port = port or free_port()
    peer = BENCH / "peer"
    subprocess.run(
        ["psql", database_url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(peer / "setup.sql")],
        check=True,
        capture_output=True,
    )
    server = Server(name="PostGraphile 4 x1", url=f"http://127.0.0.1:{port}")
    server.processes.append(
        subprocess.Popen(
            [
                NODE,
                str(peer / "node_modules/postgraphile/cli.js"),
                "--connection",
                database_url,
                "--schema",
                "public,bench_peer",
                "--disable-default-mutations",
                "--jwt-secret",
                BENCH_SECRET,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--disable-query-log",
                "--no-setof-functions-contain-nulls",
            ],
            cwd=peer,
            env={**os.environ, "NODE_ENV": "production"},
            stdout=subprocess.DEVNULL,
        )
    )
    return server


def post_json(url: str, payload: Any, token: str | None = None, timeout: float = 10) -> Any:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1
        url, data=json.dumps(payload).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read())


def wait_until_up(url: str, payload: Any, token: str | None, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return post_json(url, payload, token)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


def pick_viewers(count: int, seed: int = 1) -> list[int]:
    """`count` user ids, the same ones for every variant of a run."""
    from social.models import User

    ids = list(
        User.objects.filter(following_count__gt=0).order_by("pk").values_list("pk", flat=True)
    )
    rng = random.Random(seed)
    return rng.sample(ids, min(count, len(ids)))


def mint_tokens(user_ids: Sequence[int]) -> list[str]:
    from social.models import User
    from social.services.tokens import access_token_issue

    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    return [access_token_issue(user=users[pk]) for pk in user_ids]


def mint_peer_tokens(user_ids: Sequence[int]) -> list[str]:
    """PostGraphile's JWTs: same secret and subject, its default audience."""
    import jwt

    exp = int(time.time()) + 86400
    return [
        jwt.encode({"sub": str(pk), "aud": "postgraphile", "exp": exp}, BENCH_SECRET, "HS256")
        for pk in user_ids
    ]
