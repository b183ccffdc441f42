"""The Procfile's `web` command, started as tests start real servers: the tests then run
the server production runs, and `make run` starts the same command."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]


def web_command() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("the Procfile has no web process")


def start_web(env: dict[str, str], port: int, output: IO[Any] | int | None = None) -> Any:
    """The web process on 127.0.0.1:`port`, in a session of its own (stop it with stop_web)."""
    env = env | {
        "PORT": str(port),
        "WEB_BIND": "127.0.0.1",
        # The virtualenv's servers, as `make run` and a deployment find them.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    }
    return subprocess.Popen(
        ["/bin/bash", "-c", f"exec {web_command()}"],
        cwd=ROOT,
        env=env,
        stdout=output if output is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if output is not None else subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_web(process: Any) -> None:
    """SIGTERM to the process group (a server's workers too), then SIGKILL after 10 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
