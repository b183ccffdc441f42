"""The container files: linted by hadolint, and running exactly the Procfile's commands.

No container daemon here: the image is linted and compared, not built (docs/operations.md).
"""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.services import missing

ROOT = Path(__file__).resolve().parents[2]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip())


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    rows = [line.strip() for line in text.splitlines()]
    return [
        (row.split(None, 1)[0].upper(), row.split(None, 1)[1])
        for row in rows
        if row and not row.startswith("#")
    ]


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text()))


def test_hadolint_passes_the_dockerfile() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        missing("hadolint is not installed: `make venv` installs it (requirements-dev.txt)")
    done = subprocess.run(
        [str(hadolint), "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        missing("hadolint is not installed: `make venv` installs it (requirements-dev.txt)")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install django\nCMD daphne app\n")
    done = subprocess.run(
        [str(hadolint), "--no-color", str(bad)], capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 and "DL3007" in done.stdout, done.stdout


def test_the_image_runs_the_procfiles_web_line() -> None:
    commands = [value for name, value in dockerfile_instructions() if name == "CMD"]
    assert len(commands) == 1
    assert json.loads(commands[0]) == ["sh", "-c", procfile()["web"]]


def test_the_web_line_binds_a_configurable_address() -> None:
    assert re.search(r"--host \$\{WEB_BIND:-0\.0\.0\.0\}", procfile()["web"])


def test_compose_runs_the_release_step_then_two_web_processes_of_the_image() -> None:
    services = compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    release = services["release"]
    assert release["command"] == procfile()["release"]
    assert release["build"] == "."
    webs = {name: spec for name, spec in services.items() if name.startswith("web")}
    assert len(webs) == 2
    for spec in webs.values():
        # No command of their own: the image's, which is the Procfile's web line.
        assert "command" not in spec and spec["build"] == "."
        assert spec["depends_on"]["release"] == {"condition": "service_completed_successfully"}
        assert spec["environment"]["DATABASE_URL"].startswith("postgres://")
        assert spec["environment"]["REDIS_URL"].startswith("redis://")
    ports = sorted(port for spec in webs.values() for port in spec["ports"])
    assert ports == ["127.0.0.1:5000:8000", "127.0.0.1:5001:8000"]


def test_the_procfile_shown_in_the_operations_guide_is_the_procfile() -> None:
    guide = (ROOT / "docs" / "operations.md").read_text()
    shown = re.search(r"```procfile\n(.*?)```", guide, re.S)
    assert shown is not None
    assert shown.group(1) == (ROOT / "Procfile").read_text()
