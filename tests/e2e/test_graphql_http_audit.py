"""The server passes the GraphQL-over-HTTP audit of graphql-http (the reference
implementation's own checks, SHOULDs included: the application/graphql-response+json type,
400 without `data` for a request that cannot run)."""

import json
import subprocess

from tests.e2e.conftest import E2E_DIR, LiveServer, require_node_modules


def test_every_check_of_the_graphql_over_http_audit_passes(
    live_server_process: LiveServer,
) -> None:
    require_node_modules(E2E_DIR, "graphql-http")
    server = live_server_process
    done = subprocess.run(
        ["node", "graphql_http_audit.mjs"],
        cwd=E2E_DIR,
        env=server.env | {"API_URL": f"{server.url}/graphql"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["total"] >= 60
    assert result["notOk"] == [], result["notOk"]
