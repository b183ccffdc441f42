"""GraphiQL as a newcomer first sees it: the welcome text fits, the Explorer takes a number."""

import json
import subprocess

from tests.e2e.conftest import E2E_DIR, LiveServer, chromium_path, require_node_modules

# Window widths measured by graphiql_layout.mjs: a small laptop or a half-screen window, the
# common laptops (1280, 1366, 1440, 1536) and a desktop.
WIDTHS = [1024, 1280, 1366, 1440, 1536, 1920]


def test_welcome_text_fits_the_editor_and_explorer_boxes_take_a_number(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(E2E_DIR, "playwright-core")
    done = subprocess.run(
        ["node", "graphiql_layout.mjs"],
        cwd=E2E_DIR,
        env=live_server_process.env
        | {"CHROMIUM_PATH": chromium_path(), "E2E_BASE_URL": live_server_process.url},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.stdout.strip(), done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ok"], result
    assert result["problems"] == []
    assert [measured["width"] for measured in result["widths"]] == WIDTHS
    for measured in result["widths"]:
        # The Explorer (closed when the page opens) takes a third of a 1024 px window.
        for explorer in ("closed", "open") if measured["width"] >= 1280 else ("closed",):
            layout = measured[explorer]
            # Every welcome line is whole on screen: nothing reaches past the editor's edge.
            assert layout["past"] <= 0, (measured["width"], explorer, layout)
    welcome = "\n".join(result["widths"][0]["closed"]["text"])
    assert "demo-password-123" in welcome and "alice" in welcome
    argument = result["argument"]
    assert argument["value"].endswith("100")
    # The typed number shows whole: the box's inside is as wide as its digits need, and
    # an emptied box still leaves room for "100" to be typed into.
    assert argument["inner"] >= argument["needed"], argument
    empty = result["empty_argument"]
    assert empty["value"] == "" and empty["inner"] >= empty["needed"], empty
