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


def _constant(node: ast.expr) -> object:
    """The value of a default written as constants and arithmetic (`15 * 60`), else None."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        left, right = _constant(node.left), _constant(node.right)
        if isinstance(left, int | float) and isinstance(right, int | float):
            return left * right
    return None


def _reads_env(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "env") or (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "env"
    )


def settings_defaults() -> dict[str, str]:
    """Each setting whose default is a plain value, as the environment spells it."""
    defaults = {}
    for node in ast.walk(ast.parse((ROOT / "config" / "settings.py").read_text())):
        if not (isinstance(node, ast.Call) and node.args and _reads_env(node.func)):
            continue
        name = node.args[0]
        if not isinstance(name, ast.Constant):
            continue
        default = next((kw.value for kw in node.keywords if kw.arg == "default"), None)
        value = _constant(default) if default is not None else None
        if value is None or value == "":
            continue  # computed (DEBUG, HTTPS, a path), or unset: the files give an example
        if isinstance(value, bool):
            spelled = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            spelled = str(int(value))
        else:
            spelled = str(value)
        defaults[str(name.value)] = spelled
    return defaults


def test_the_defaults_written_in_both_are_the_settings_defaults() -> None:
    defaults = settings_defaults()
    assert defaults["ACCESS_TOKEN_TTL"] == "900" and defaults["RATELIMIT_ENABLE"] == "true"
    written = dict(
        re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.M)
    )
    assert {k: (v, written.get(k)) for k, v in defaults.items() if written.get(k) != v} == {}
    text = (ROOT / "docs" / "operations.md").read_text()
    table = text[text.index("\n## Settings\n") :]
    cells = dict(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| `([^`]*)`", table, re.M))
    assert {k: (v, cells.get(k)) for k, v in defaults.items() if k in cells and cells[k] != v} == {}
