"""A real server for browser and client tests: the Procfile's web process on a free port
with its own SQLite file."""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import procfile
from tests.services import missing

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = ROOT / "tests" / "e2e"
OUTPUT_DIR = ROOT / "test-output"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_node_modules(folder: Path, package: str) -> None:
    if shutil.which("node") is None:
        missing("node is not installed (apt-get install nodejs npm)")
    if not (folder / "node_modules" / package).is_dir():
        missing(f"{package} is not installed: run `npm ci` in {folder.relative_to(ROOT)}")


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        missing("chromium is not installed (apt-get install chromium)")
    return path


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log: Path

    def graphql(self, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def manage_py_python(self, code: str) -> str:
        """Runs Python with Django set up against the server's database; returns stdout."""
        script = f"import django; django.setup()\n{code}"
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture(scope="module")
def live_server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with start_live_server(tmp_path_factory.mktemp("server")) as server:
        yield server


@contextlib.contextmanager
def start_live_server(folder: Path, **settings: str) -> Iterator[LiveServer]:
    """The server on a free port with its own SQLite file in `folder`; `settings` as env."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "SECRET_KEY": "e2e-test-secret-key-0123456789abcdef-not-for-production",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    log = folder / "server.log"
    with log.open("wb") as out:
        process = procfile.start_web(env, port, output=out)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            procfile.stop_web(process)
            pytest.fail(f"the server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    try:
        yield LiveServer(url=url, env=env, log=log)
    finally:
        procfile.stop_web(process)


REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken user { id username } errors { field code message } }
}
"""


def register(server: LiveServer, username: str, password: str) -> dict[str, Any]:
    result = server.graphql(
        REGISTER,
        {"input": {"username": username, "email": f"{username}@example.com", "password": password}},
    )
    payload = result["data"]["register"]
    assert payload["errors"] == [], payload
    return payload


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Each test's server runs on the embedded default (its env drops DATABASE_URL and
    # REDIS_URL): the same in both passes of .ci/run, which runs them in its first only.
    folder = Path(__file__).parent
    for item in items:
        if folder in item.path.parents:
            item.add_marker(pytest.mark.own_servers)
