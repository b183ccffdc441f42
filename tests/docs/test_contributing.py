"""CONTRIBUTING.md's table of test kinds names every folder of tests, and only real paths."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _table_paths() -> set[str]:
    text = (ROOT / "CONTRIBUTING.md").read_text()
    table = text[text.index("| kind | where | needs |") :].split("\n\n", 1)[0]
    where = [row.split("|")[2] for row in table.splitlines()[2:]]
    return {path for cell in where for path in re.findall(r"`(tests/[^`]*)`", cell)}


def test_every_path_in_the_table_exists() -> None:
    paths = _table_paths()
    assert "tests/docs" in paths
    assert sorted(path for path in paths if not list(ROOT.glob(path))) == []  # globs too


def test_every_folder_of_tests_is_in_the_table() -> None:
    named = _table_paths()
    folders = {
        f"tests/{path.parent.relative_to(ROOT / 'tests').parts[0]}"
        for path in (ROOT / "tests").glob("*/**/test_*.py")
        if "node_modules" not in path.parts
    }
    covered = {f for f in folders for path in named if f"{path}/".startswith(f"{f}/")}
    assert sorted(folders - covered) == []


def _project_folders() -> set[str]:
    """The top-level folders of the repository's files (those git tracks, when it can tell)."""
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode == 0 and listed.stdout:
        return {line.split("/", 1)[0] for line in listed.stdout.splitlines() if "/" in line}
    made = {".git", ".venv", "node_modules", "staticfiles", "test-output", "__pycache__"}
    made |= {".pytest_cache", ".mypy_cache", ".ruff_cache"}
    return {p.name for p in ROOT.iterdir() if p.is_dir() and p.name not in made}


def test_the_layout_names_every_folder_of_the_project_and_every_document() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text()
    layout = text[text.index("## Layout") : text.index("## House style")]
    named = set(re.findall(r"^(\S+)/ ", layout, re.M))
    assert sorted(_project_folders() - named) == []
    documents = {path.name for path in (ROOT / "docs").glob("*.md")}
    assert sorted(name for name in documents if name not in layout) == []
