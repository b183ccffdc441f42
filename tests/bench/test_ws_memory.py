"""Smoke test of bench/ws_memory.py at a tiny size, so the memory bench cannot rot unnoticed.

It starts its own daphne on a throw-away PostgreSQL database (and Redis), like the
multi-process WebSocket test; without PostgreSQL or Redis it is skipped, saying so.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import redis_url
from tests.websocket import servers
from tests.websocket.test_multiprocess import _server_url

# Its servers run on databases of their own: the same in both passes of .ci/run.
pytestmark = pytest.mark.own_servers

ROOT = Path(__file__).resolve().parents[2]
SEED = ["--users", "12", "--posts-per-user", "1", "--follows-per-user", "3", "--seed", "1"]
TINY = ["--clients", "6", "--warmup", "2", "--idle", "0.5"]


def test_ws_memory_reports_memory_and_cpu_per_socket_and_cleans_up(tmp_path: Path) -> None:
    pg, redis = _server_url(), redis_url()
    with servers.throwaway_database(pg) as database_url:
        env = servers.server_env(database_url, redis)
        servers.migrate(env)
        subprocess.run(
            [sys.executable, "manage.py", "seed", *SEED],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        out = tmp_path / "ws-memory.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.ws_memory",
                *TINY,
                "--out",
                str(out),
                "--database",
                database_url,
                "--redis",
                redis,
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
    report = json.loads(out.read_text())
    assert report["connected"] == 6, report
    assert report["connect_errors"] == 0, report
    assert report["all_subscribed"] and report["subscriptions_active"] == 12, report
    assert report["cpu_ms_per_connect"] > 0, report
    assert report["rss_idle_mb"] > 0, report
    # Every socket gone: no subscription and no open socket left on the server.
    assert report["subscriptions_after_close"] == 0, report
    assert report["websockets_open_after_close"] == 0, report
