"""The documented commands run as written, so the docs cannot rot.

Every `sh` block of the documents below carries a marker on the line before it (an HTML
comment; CONTRIBUTING.md explains them): `run`, `background`, `with-server` or `skip` with
its reason. Blocks run in document order with bash -e, as a reader pastes them, in a fresh
copy of the checkout (as a clone has it: no database, no `.env`, no node_modules; the
virtualenv linked), except that ports 8000 / 5000 / 5001 become free ones.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.services import missing

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/operations.md", "CONTRIBUTING.md", "examples/README.md")
SHELLS = {"sh", "bash", "shell", "console"}
MODES = {"run", "background", "with-server", "skip"}
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.M | re.S)
MARKER = re.compile(r"<!--\s*doc-test:\s*(.*?)\s*-->")
DOCUMENTED_PORTS = re.compile(r"\b(localhost|127\.0\.0\.1):(8000|5000|5001)\b")
START_TIMEOUT = 240.0
# Made by running the project or its tools, never in a fresh clone (.gitignore's list).
NOT_IN_A_CLONE = {".git", ".venv", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache"}
NOT_IN_A_CLONE |= {".ruff_cache", "staticfiles", "test-output", ".env"}


@dataclass
class Block:
    document: str
    line: int
    code: str
    mode: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


def blocks_of(document: str, text: str | None = None) -> list[Block]:
    """The shell blocks of `document` with their markers; a block without one is an error."""
    text = (ROOT / document).read_text() if text is None else text
    found = []
    for fence in FENCE.finditer(text):
        if fence.group(1) not in SHELLS:
            continue
        line = text.count("\n", 0, fence.start()) + 1
        before = text[: fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.fullmatch(before.strip())
        assert marker, f"{document}:{line}: a shell block needs a <!-- doc-test: ... --> marker"
        mode, *pairs = [part.strip() for part in marker.group(1).split(";")]
        assert all(":" in pair for pair in pairs), f"{document}:{line}: options are key: value"
        options = {key.strip(): value.strip() for key, value in (p.split(":", 1) for p in pairs)}
        assert mode in MODES, f"{document}:{line}: unknown doc-test mode {mode!r}"
        found.append(Block(document, line, fence.group(2), mode, options))
    return found


def two_free_ports() -> int:
    """A port p with p + 1 free too (honcho's web.1 and web.2)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = int(first.getsockname()[1])
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return port
    raise RuntimeError("no two consecutive free ports")


def fresh_checkout(destination: Path, source: Path = ROOT) -> Path:
    """A copy of the checkout's files as a fresh clone has them, its edits included.

    The commands run there, not in the checkout: `npm ci` replaces node_modules (through
    a symlink, the folder it points at), a `.env` or a database in the checkout would
    change what they do, and what they write stays out of it. Modification times are
    kept, so make's virtualenv stamp judges the copy as it judges the checkout.
    """
    for folder, subfolders, files in os.walk(source):
        here = Path(folder)
        relative = here.relative_to(source)
        subfolders[:] = [
            name
            for name in subfolders
            if name not in NOT_IN_A_CLONE and (relative / name).as_posix() != "bench/out"
        ]
        (destination / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            path = here / name
            if name in NOT_IN_A_CLONE or name.startswith("db.sqlite3") or path.is_symlink():
                continue
            shutil.copy2(path, destination / relative / name)
    if (source / ".venv").exists():
        (destination / ".venv").symlink_to((source / ".venv").resolve())  # `make venv` done
    return destination


class Session:
    """One document's run: a fresh checkout, its environment, free ports, background commands."""

    def __init__(self, folder: Path) -> None:
        self.port = two_free_ports()
        self.folder = folder
        self.checkout = fresh_checkout(folder / "checkout")
        self.background: list[tuple[subprocess.Popen[bytes], Path]] = []
        drop = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS", "MAKELEVEL"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop and "PYTEST" not in k}
        self.env |= {
            # What docs/operations.md's environment table asks for, on this machine.
            "SECRET_KEY": "doc-test-secret-key-0123456789abcdef-not-for-production",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
        }

    def script(self, block: Block) -> str:
        ports = {"8000": self.port, "5000": self.port, "5001": self.port + 1}
        return DOCUMENTED_PORTS.sub(lambda m: f"{m.group(1)}:{ports[m.group(2)]}", block.code)

    def run(self, block: Block) -> str:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", self.script(block)],
            cwd=self.checkout,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{block.where} failed ({done.returncode}):\n{output}"
        return output

    def start(self, block: Block) -> None:
        log = self.folder / f"background-{block.line}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["bash", "-e", "-o", "pipefail", "-c", self.script(block)],
                cwd=self.checkout,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one at the end
            )
        self.background.append((process, log))
        ports = [self.port + i for i in range(int(block.options.get("wait-ports", "0")))]
        expect = block.options.get("expect")
        deadline = time.monotonic() + START_TIMEOUT
        while not (all(map(_healthy, ports)) and (expect is None or expect in log.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{block.where} did not come up:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)

    def stop(self) -> None:
        for process, _log in reversed(self.background):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _log in self.background:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    current = Session(tmp_path)
    try:
        yield current
    finally:
        current.stop()


def test_every_shell_block_says_whether_and_how_it_runs() -> None:
    for document in DOCUMENTS:
        for block in blocks_of(document):
            if block.mode == "skip":
                assert block.options.get("why"), f"{block.where}: say why it cannot run here"
            if block.mode == "with-server":
                assert "expect" in block.options, f"{block.where}: say what its output shows"


def test_the_marker_check_catches_an_unmarked_block() -> None:
    with pytest.raises(AssertionError, match="needs a <!-- doc-test"):
        blocks_of("new.md", "Text\n\n```sh\nmake run\n```\n")
    marked = blocks_of("new.md", "<!-- doc-test: skip; why: a reason -->\n```sh\nmake run\n```\n")
    assert [(block.mode, block.options) for block in marked] == [("skip", {"why": "a reason"})]


def test_the_commands_run_in_a_copy_as_a_clone_has_it(tmp_path: Path) -> None:
    source = tmp_path / "checkout"
    (source / "examples").mkdir(parents=True)
    (source / "README.md").write_text("read me")
    (source / "examples" / "client.mjs").write_text("// the client")
    (source / ".env").write_text("DEBUG=false")
    (source / "db.sqlite3").write_text("a database")
    (source / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / "shared_modules" / "ws").mkdir(parents=True)
    (source / "examples" / "node_modules").symlink_to(tmp_path / "shared_modules")
    copy = fresh_checkout(tmp_path / "copy", source=source)
    files = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file()}
    assert files == {"README.md", "examples/client.mjs"}  # .venv is linked: not followed
    assert (copy / ".venv").resolve() == (source / ".venv").resolve()
    # `npm ci` in the copy makes its own node_modules; the checkout's stays as it was.
    (copy / "examples" / "node_modules").mkdir()
    assert (tmp_path / "shared_modules" / "ws").is_dir()


@pytest.mark.parametrize("document", ["README.md", "docs/operations.md"])
def test_documented_commands_run_as_written(document: str, session: Session) -> None:
    if os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        # The commands start servers of their own on SQLite, whatever the suite's database.
        pytest.skip("runs once, in the embedded-default pass of `make test`")
    ran = 0
    for block in blocks_of(document):
        if block.mode == "skip":
            continue
        if block.options.get("needs") and shutil.which(block.options["needs"]) is None:
            missing(f"{block.where} needs {block.options['needs']}")
        if shutil.which("curl") is None and "curl " in block.code:
            missing(f"{block.where} needs curl")
        if block.mode == "background":
            session.start(block)
        else:
            output = session.run(block)
            expect = block.options.get("expect")
            assert expect is None or expect in output, f"{block.where} printed:\n{output}"
        ran += 1
    assert ran >= 2
    # Servers keep serving to the end (honcho once stopped every process when one ended).
    for process, log in session.background:
        assert process.poll() is None, f"a background command ended:\n{log.read_text()[-3000:]}"
