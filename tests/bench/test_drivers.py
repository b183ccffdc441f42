"""Smoke tests of the load drivers at tiny sizes, so `make bench` cannot rot unnoticed.

They need Node and the drivers' packages (`npm ci` in bench/load, done by `make bench`);
without them they are skipped, saying so. Only 127.0.0.1 is contacted.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.queries import HOME_FEED_QUERY
from social.models import User
from social.seed import SeedConfig, seed
from social.services.tokens import access_token_issue

# Its servers run on databases of their own: the same in both passes of .ci/run.
pytestmark = pytest.mark.own_servers

ROOT = Path(__file__).resolve().parents[2]
LOAD = ROOT / "bench" / "load"

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not (LOAD / "node_modules" / "autocannon").is_dir(),
    reason="needs node and `npm ci` in bench/load (make bench installs them)",
)


@needs_node
@pytest.mark.django_db(transaction=True)
def test_http_driver_reports_rate_and_latency(live_server: Any, tmp_path: Path) -> None:
    seed(SeedConfig(users=10, posts_per_user=3, follows_per_user=3, progress=False))
    tokens = [access_token_issue(user=u) for u in User.objects.all()[:3]]
    (tmp_path / "body.json").write_text(json.dumps({"query": HOME_FEED_QUERY}))
    (tmp_path / "tokens.json").write_text(json.dumps(tokens))
    out = subprocess.run(
        [
            "node",
            str(LOAD / "http.mjs"),
            f"--url={live_server.url}/graphql",
            f"--body={tmp_path / 'body.json'}",
            f"--tokens={tmp_path / 'tokens.json'}",
            "--connections=2",
            "--duration=2",
            "--warmup=0",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["requests"] > 0
    assert result["errors"] == result["non2xx"] == result["graphql_errors"] == 0, result
    assert 0 < result["p50_ms"] <= result["p99_ms"]


@needs_node
def test_subscription_bench_delivers_everything_on_a_tiny_server(tmp_path: Path) -> None:
    """The whole subscription benchmark: a fresh SQLite database, one daphne, 6 clients."""
    database = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DEBUG": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    prepare = (
        "from django.core.management import call_command; "
        "call_command('migrate', verbosity=0); "
        "call_command('seed', users=12, posts_per_user=2, follows_per_user=4, no_progress=True)"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", prepare],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    out = tmp_path / "subs.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.subs_bench",
            f"--database={database}",
            "--redis=",
            "--clients=6",
            "--targeted=3",
            "--broadcasts=1",
            "--processes=1",
            "--wait-ms=20000",  # the longest wait, not a sleep: a loaded machine is slower
            "--settle=0.2",
            f"--out={out}",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=90,
    )
    report = json.loads(out.read_text())
    result = report["result"]
    assert result["connected"] == 6 and result["connect_errors"] == 0, result
    assert result["targeted"]["sent"] == result["targeted"]["delivered"] == 3, json.dumps(report)
    (broadcast,) = result["broadcasts"]
    assert broadcast["expected"] > 0
    assert broadcast["delivered"] == broadcast["expected"], result
    assert report["rss_per_idle_socket_kb"] is not None
    assert report["targeted_server_commit_to_delivery"]["count"] == 3, report
    assert report["broadcast_server_commit_to_delivery"]["count"] == broadcast["expected"]
    # Garbage-collector pauses per phase, from the servers' /metrics.
    assert {"gen0_count", "gen2_seconds", "gen2_over_100ms"} <= set(report["broadcast_gc_pauses"])
    # The connect rate, and the servers' CPU per delivered event per phase and post.
    assert report["connect_rate_per_s"] > 0, report
    assert report["targeted_cpu"]["delivered"] == 3, report
    (post_cpu,) = report["broadcast_cpu"]
    assert post_cpu["delivered"] == broadcast["expected"], report
    assert post_cpu["cpu_ms_per_delivered_event"] >= 0, report


def test_delivery_quantiles_interpolate_within_buckets() -> None:
    from bench.subs_bench import delivery_quantiles

    inf = float("inf")
    before = {0.01: 5.0, 0.1: 5.0, 1.0: 5.0, inf: 5.0}  # counted before the phase
    after = {0.01: 55.0, 0.1: 103.0, 1.0: 105.0, inf: 105.0}
    # 100 events in the phase: 50 under 10 ms, 48 in (10, 100], 2 in (100 ms, 1 s].
    assert delivery_quantiles(before, after) == {"count": 100, "p50_ms": 10.0, "p99_ms": 550.0}
    assert delivery_quantiles(after, after) == {"count": 0, "p50_ms": None, "p99_ms": None}


def test_slices_taken_in_turns_combine_into_one_result() -> None:
    from bench.http_bench import combine

    def piece(rps: float, p50: float, p99: float, app_s: float, requests: float) -> dict[str, Any]:
        return {
            "server": "daphne x2",
            "page": "graphql",
            "rps": rps,
            "p50_ms": p50,
            "p99_ms": p99,
            "errors": 0,
            "non2xx": 1,
            "graphql_errors": 0,
            "app_cpu_ms_per_request": app_s * 1000 / requests,
            "cpu_window": {"app_s": app_s, "pg_s": 0.1, "requests": requests},
        }

    result = combine([piece(100, 10, 50, 1.0, 1000), piece(200, 30, 40, 3.0, 1000)])
    assert result["rps"] == 150
    assert result["p50_ms"] == 20 and result["p99_ms"] == 50
    assert result["app_cpu_ms_per_request"] == 2.0  # 4 s over 2,000 requests
    assert result["pg_cpu_ms_per_request"] == 0.1
    assert result["non2xx"] == 2
    assert [s["rps"] for s in result["slices"]] == [100, 200]
    negative = piece(100, 10, 50, 1.0, 1000)
    negative["cpu_window"]["pg_s"] = -0.5  # a backend exited within the slice
    assert combine([piece(100, 10, 50, 1.0, 1000), negative])["pg_cpu_ms_per_request"] == 0.1
