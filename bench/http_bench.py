"""HTTP benchmark: our homeFeed page vs a hand-written Django view vs PostGraphile 4.

    python -m bench.http_bench --database postgres://postgres@127.0.0.1:5432/bench_big \
        --duration 20 --connections 20 --servers daphne,uvicorn --out bench/results/http.json

Every variant serves the same page (bench/queries.py) for the same viewers from the same
database, in one run, one after the other, through the autocannon driver (bench/load).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common

SERVERS: dict[str, Callable[[dict[str, str]], common.Server]] = {
    "daphne": lambda env: common.start_daphne(env, processes=2),
    "uvicorn": lambda env: common.start_uvicorn(env, workers=2),
    "daphne1": lambda env: common.start_daphne(env, processes=1),
    "daphne4": lambda env: common.start_daphne(env, processes=4),
    "uvicorn4": lambda env: common.start_uvicorn(env, workers=4),
    # A new PostgreSQL connection per request: what the pool saves.
    "daphne-nopool": lambda env: _named(
        common.start_daphne({**env, "DB_POOL_SIZE": "0"}, processes=2), "daphne x2, no pool"
    ),
}


def _named(server: common.Server, name: str) -> common.Server:
    server.name = name
    return server


def count_queries(tokens: list[str], pages: list[str]) -> dict[str, int]:
    """SQL queries per page for our GraphQL view and the hand-written one (in-process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.queries import HOME_FEED_QUERY

    client = Client()
    counts = {}
    for name in pages:
        path = "/graphql" if name == "graphql" else "/bench/home-feed"
        headers = {"HTTP_AUTHORIZATION": f"Bearer {tokens[0]}"}
        body = json.dumps({"query": HOME_FEED_QUERY})
        client.post(path, body, content_type="application/json", **headers)  # warm caches
        with CaptureQueriesContext(connection) as queries:
            response = client.post(path, body, content_type="application/json", **headers)
        assert "errors" not in response.json(), response.content[:300]
        counts[name] = len(queries)
    connection.close()
    return counts


def drive(url: str, body_file: Path, tokens_file: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        common.NODE,
        str(common.BENCH / "load/http.mjs"),
        f"--url={url}",
        f"--body={body_file}",
        f"--tokens={tokens_file}",
        f"--connections={args.connections}",
        f"--duration={args.duration}",
        f"--warmup={args.warmup}",
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def measure(
    server: common.Server,
    page: str,
    url: str,
    body_file: Path,
    tokens_file: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    cpu, pg_cpu = server.cpu_seconds(), common.postgres_cpu_seconds()
    started = time.monotonic()
    result = drive(url, body_file, tokens_file, args)
    # The warm-up is part of the CPU window; count its requests at the measured rate.
    elapsed = time.monotonic() - started
    requests = max(result["rps"] * elapsed, 1)
    result.update(
        server=server.name,
        page=page,
        app_cpu_ms_per_request=round((server.cpu_seconds() - cpu) * 1000 / requests, 2),
        pg_cpu_ms_per_request=round((common.postgres_cpu_seconds() - pg_cpu) * 1000 / requests, 2),
    )
    print(
        f"  {server.name:18} {page:8} {result['rps']:8.1f} req/s  p50 {result['p50_ms']} ms  "
        f"p99 {result['p99_ms']} ms  errors {result['errors'] + result['non2xx']}"
        f"+{result['graphql_errors']}  cpu/req app {result['app_cpu_ms_per_request']} ms "
        f"pg {result['pg_cpu_ms_per_request']} ms",
        flush=True,
    )
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True, help="a database seeded by `manage.py seed`")
    parser.add_argument("--duration", type=int, default=20, help="seconds per variant")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=200, help="distinct signed-in viewers")
    parser.add_argument("--servers", default="daphne", help=f"comma list of {sorted(SERVERS)}")
    parser.add_argument("--pages", default="graphql,hand", help="graphql, hand")
    parser.add_argument("--no-peer", action="store_true", help="skip PostGraphile")
    parser.add_argument("--label", default="", help="a name for this run in the output")
    parser.add_argument("--out", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)

    common.setup_django(args.database)
    from bench.queries import HOME_FEED_QUERY, PEER_HOME_FEED_QUERY
    from social.models import Post, User

    viewers = common.pick_viewers(args.viewers)
    tokens = common.mint_tokens(viewers)
    report: dict[str, Any] = {
        "label": args.label,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.database.rsplit("/", 1)[-1],
        "users": User.objects.count(),
        "posts": Post.objects.count(),
        "viewers": len(viewers),
        "connections": args.connections,
        "duration_s": args.duration,
        "queries_per_page": count_queries(tokens, args.pages.split(",")),
        "results": [],
    }
    print(
        f"{report['database']}: {report['users']} users, {report['posts']} posts; "
        f"queries per page {report['queries_per_page']}",
        flush=True,
    )
    env = common.server_env(args.database)
    pages = args.pages.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp)
        (files / "ours.json").write_text(json.dumps({"query": HOME_FEED_QUERY}))
        (files / "peer.json").write_text(json.dumps({"query": PEER_HOME_FEED_QUERY}))
        (files / "tokens.json").write_text(json.dumps(tokens))
        (files / "peer-tokens.json").write_text(json.dumps(common.mint_peer_tokens(viewers)))
        for name in args.servers.split(","):
            with common.running(SERVERS[name](env)) as server:
                for page in pages:
                    url = server.url + ("/graphql" if page == "graphql" else "/bench/home-feed")
                    check = common.wait_until_up(url, {"query": HOME_FEED_QUERY}, tokens[0])
                    assert "errors" not in check, check
                    report["results"].append(
                        measure(server, page, url, files / "ours.json", files / "tokens.json", args)
                    )
        if not args.no_peer:
            with common.running(common.start_postgraphile(args.database)) as server:
                url = server.url + "/graphql"
                peer_token = json.loads((files / "peer-tokens.json").read_text())[0]
                check = common.wait_until_up(url, {"query": PEER_HOME_FEED_QUERY}, peer_token)
                assert "errors" not in check, check
                report["results"].append(
                    measure(
                        server, "peer", url, files / "peer.json", files / "peer-tokens.json", args
                    )
                )
    common.write_report(args.out, report)
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
