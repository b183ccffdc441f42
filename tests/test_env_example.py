"""Every variable config/settings.py reads is in .env.example and in docs/operations.md."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Read outside config/settings.py: by the Procfile (and the image) and by prometheus_client.
OTHER_VARIABLES = {"WEB_BIND", "PORT", "PROMETHEUS_MULTIPROC_DIR"}


def settings_variables() -> set[str]:
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        first, func = node.args[0], node.func
        reads_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
        )
        if reads_env and isinstance(first, ast.Constant) and isinstance(first.value, str):
            names.add(first.value)
    return names


def env_example_variables() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", text, re.M))


def operations_table_variables() -> set[str]:
    text = (ROOT / "docs" / "operations.md").read_text()
    table = text[text.index("\n## Settings\n") :]
    first_cells = re.findall(r"^\| ([^|]+) \|", table, re.M)
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def test_the_reader_finds_the_settings() -> None:
    found = settings_variables()
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CORS_ALLOWED_ORIGINS"} <= found
    assert "WS_MAX_SUBSCRIPTIONS_PER_CONNECTION" in found  # a call spread over lines


def test_env_example_lists_every_setting() -> None:
    wanted = settings_variables() | OTHER_VARIABLES
    assert sorted(wanted - env_example_variables()) == []


def test_the_operations_settings_table_lists_every_setting() -> None:
    wanted = settings_variables() | OTHER_VARIABLES
    assert sorted(wanted - operations_table_variables()) == []


def test_neither_lists_a_setting_nothing_reads() -> None:
    known = settings_variables() | OTHER_VARIABLES
    assert sorted(env_example_variables() - known) == []
    assert sorted(operations_table_variables() - known) == []
