"""HTTP benchmark: our homeFeed page vs a hand-written Django view vs PostGraphile 4.

    python -m bench.http_bench --database postgres://postgres@127.0.0.1:5432/bench_big \
        --duration 20 --connections 20 --servers daphne,uvicorn --out bench/results/http.json

Every variant serves the same page (bench/queries.py) for the same viewers from the same
database, in one run, through the autocannon driver (bench/load). With `--rounds N` every
server runs from the start and the variants take turns, N slices of duration/N seconds
each: on a shared machine whose speed drifts by minutes, each variant then sees the same
conditions (req/s is the mean of the slices, p50 their median, p99 their maximum).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
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
    # HTTP through Django's stock ASGI handler instead of config/asgi_http.py.
    "daphne-stock": lambda env: _named(
        common.start_daphne(env, processes=2, app="bench.asgi_stock:application"),
        "daphne x2, stock handler",
    ),
    "granian": lambda env: common.start_granian(env, workers=2),
    "uvicorn": lambda env: common.start_uvicorn(env, workers=2),
    "gunicorn": lambda env: common.start_gunicorn(env, workers=2),
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
    app_s, pg_s = server.cpu_seconds() - cpu, common.postgres_cpu_seconds() - pg_cpu
    result.update(
        server=server.name,
        page=page,
        app_cpu_ms_per_request=round(app_s * 1000 / requests, 2),
        pg_cpu_ms_per_request=round(pg_s * 1000 / requests, 2),
        cpu_window={"app_s": app_s, "pg_s": pg_s, "requests": requests},
    )
    _print(result)
    return result


def _print(result: dict[str, Any]) -> None:
    print(
        f"  {result['server']:18} {result['page']:8} {result['rps']:8.1f} req/s  "
        f"p50 {result['p50_ms']} ms  "
        f"p99 {result['p99_ms']} ms  errors {result['errors'] + result['non2xx']}"
        f"+{result['graphql_errors']}  cpu/req app {result['app_cpu_ms_per_request']} ms "
        f"pg {result['pg_cpu_ms_per_request']} ms",
        flush=True,
    )


def _pg_ms(slices: list[dict[str, Any]]) -> float | None:
    # A PostgreSQL backend that exits within a slice takes its CPU out of the sum (a
    # negative figure): such slices are left out.
    kept = [s["cpu_window"] for s in slices if s["cpu_window"]["pg_s"] >= 0]
    if not kept:
        return None
    return round(sum(w["pg_s"] for w in kept) * 1000 / sum(w["requests"] for w in kept), 2)


def combine(slices: list[dict[str, Any]]) -> dict[str, Any]:
    """One variant's slices of a run taken in turns, as one result (the slices kept)."""
    requests = sum(s["cpu_window"]["requests"] for s in slices)
    combined = {
        **slices[0],
        "rps": round(statistics.fmean(s["rps"] for s in slices), 1),
        "p50_ms": statistics.median(s["p50_ms"] for s in slices),
        "p99_ms": max(s["p99_ms"] for s in slices),
        "app_cpu_ms_per_request": round(
            sum(s["cpu_window"]["app_s"] for s in slices) * 1000 / requests, 2
        ),
        "pg_cpu_ms_per_request": _pg_ms(slices),
        "slices": [
            {k: s[k] for k in ("rps", "p50_ms", "p99_ms", "app_cpu_ms_per_request")} for s in slices
        ],
    }
    for key in ("errors", "non2xx", "graphql_errors"):
        combined[key] = sum(s.get(key, 0) for s in slices)
    return combined


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
    parser.add_argument(
        "--rounds", type=int, default=1, help="variants take turns, duration/rounds s each"
    )
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
        if args.rounds > 1:
            report["rounds"] = args.rounds
            report["results"] = _in_turns(args, env, pages, files)
            common.write_report(args.out, report)
            return report
        for name in args.servers.split(","):
            with common.running(SERVERS[name](env)) as server:
                for page in pages:
                    url = _ready(server, page, tokens[0])
                    report["results"].append(
                        measure(server, page, url, files / "ours.json", files / "tokens.json", args)
                    )
        if not args.no_peer:
            with common.running(common.start_postgraphile(args.database)) as server:
                url = _peer_ready(server, files)
                report["results"].append(
                    measure(
                        server, "peer", url, files / "peer.json", files / "peer-tokens.json", args
                    )
                )
    common.write_report(args.out, report)
    return report


def _ready(server: common.Server, page: str, token: str) -> str:
    from bench.queries import HOME_FEED_QUERY

    url = server.url + ("/graphql" if page == "graphql" else "/bench/home-feed")
    check = common.wait_until_up(url, {"query": HOME_FEED_QUERY}, token)
    assert "errors" not in check, check
    return url


def _peer_ready(server: common.Server, files: Path) -> str:
    from bench.queries import PEER_HOME_FEED_QUERY

    url = server.url + "/graphql"
    peer_token = json.loads((files / "peer-tokens.json").read_text())[0]
    check = common.wait_until_up(url, {"query": PEER_HOME_FEED_QUERY}, peer_token)
    assert "errors" not in check, check
    return url


def _in_turns(
    args: argparse.Namespace, env: dict[str, str], pages: list[str], files: Path
) -> list[dict[str, Any]]:
    """Every server up at once; each variant gets duration/rounds seconds per round."""
    token = json.loads((files / "tokens.json").read_text())[0]
    sliced = argparse.Namespace(**{**vars(args), "duration": max(args.duration // args.rounds, 1)})
    with contextlib.ExitStack() as stack:
        variants: list[tuple[common.Server, str, str, Path, Path]] = []
        for name in args.servers.split(","):
            server = stack.enter_context(common.running(SERVERS[name](env)))
            for page in pages:
                url = _ready(server, page, token)
                variants.append((server, page, url, files / "ours.json", files / "tokens.json"))
        if not args.no_peer:
            server = stack.enter_context(common.running(common.start_postgraphile(args.database)))
            url = _peer_ready(server, files)
            variants.append((server, "peer", url, files / "peer.json", files / "peer-tokens.json"))
        slices: list[list[dict[str, Any]]] = [[] for _ in variants]
        for round_ in range(args.rounds):
            print(f" round {round_ + 1} of {args.rounds}", flush=True)
            for index, (server, page, url, body, tokens_file) in enumerate(variants):
                slices[index].append(measure(server, page, url, body, tokens_file, sliced))
    results = [combine(each) for each in slices]
    print(" combined:", flush=True)
    for result in results:
        _print(result)
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
