"""CONTRIBUTING.md's table of test kinds names every folder of tests, and only real paths."""

import re
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
