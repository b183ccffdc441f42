"""HTTP benchmark of the compiled path: three pages, ours vs the hand-written view vs
PostGraphile 4, in one interleaved run, plus the same compiled SQL through pgbench.

    python -m bench.compiled_bench --database postgres://postgres@127.0.0.1:5432/bench_big \
        --duration 36 --rounds 6 --out bench/results/compiled.json

Pages (bench/queries.py): homeFeed(first: 20) and publicFeed(first: 20) with author, counts,
viewer flags, hashtags and mentions; and a profile, user(username:) with posts(first: 10)
and followers(first: 10). Variants: ours compiled on uvicorn x2 (the Procfile's server), on
daphne x2 and granian x2 (the other ASGI servers that keep HTTP and WebSocket on one port)
and on a WSGI server (gunicorn gthread x2: no event loop, no hand-off, HTTP only); ours
with the normal executor (GRAPHQL_COMPILED=false), the hand-written Django view (feeds
only), both on the `--host` server (uvicorn unless told); and PostGraphile 4 x1. Every
server is up from the start and the variants take turns, `--rounds` slices each
(bench/http_bench.py). The floor: each compiled statement through `pgbench -M prepared`,
with a random viewer per transaction.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as datetime_module
import json
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common
from bench.http_bench import _print, combine, measure


def _pages(username: str) -> dict[str, dict[str, Any]]:
    from bench import queries

    return {
        "home": {
            "ours": queries.HOME_PAGE_QUERY,
            "peer": queries.PEER_HOME_PAGE_QUERY,
            "hand": "/bench/home-page",
        },
        "public": {
            "ours": queries.PUBLIC_PAGE_QUERY,
            "peer": queries.PEER_PUBLIC_PAGE_QUERY,
            "hand": "/bench/public-page",
        },
        "profile": {
            "ours": queries.profile_query(username),
            "peer": queries.peer_profile_query(username),
            "hand": None,
        },
    }


def _profile_username() -> str:
    from social.models import User

    user = User.objects.filter(is_active=True).order_by("-follower_count", "pk").first()
    assert user is not None
    return user.username


def _in_process(pages: dict[str, dict[str, Any]], token: str) -> dict[str, Any]:
    """Per page: SQL statements with the compiled path, the same JSON both ways, and the
    compiled statement with its parameters (for pgbench)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from graph.compiled import plan_cache

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    found: dict[str, Any] = {}
    for name, page in pages.items():
        body = json.dumps({"query": page["ours"]})
        answers = []
        for compiled in (False, True):
            with override_settings(GRAPHQL_COMPILED=compiled):
                plan_cache.clear()
                client.post("/graphql", body, content_type="application/json", **headers)
                with CaptureQueriesContext(connection) as captured:
                    response = client.post(
                        "/graphql", body, content_type="application/json", **headers
                    )
            answers.append(response.json())
        assert "errors" not in answers[1], answers[1]
        assert answers[0] == answers[1], f"{name}: compiled and normal answers differ"
        statements = [q["sql"] for q in captured.captured_queries]
        found[name] = {"queries_compiled": len(statements), "sql": statements}
    connection.close()
    return found


def _pgbench_script(logged_sql: str, viewer_id: int) -> str:
    """A logged compiled statement ("SQL -- {params}") as a pgbench script: the viewer's
    id becomes a random user id per transaction, other values stay literals."""
    sql, _, params_text = logged_sql.rpartition(" -- ")
    # Our own repr of ints, strings and datetimes (the visibility rules' "now").
    params = eval(params_text, {"__builtins__": {}, "datetime": datetime_module})  # noqa: S307

    def value(match: re.Match[str]) -> str:
        param = params[match.group(1)]
        if param == viewer_id:
            return "CAST(:v AS bigint)"
        if isinstance(param, int):
            return str(param)
        if isinstance(param, datetime):
            param = param.isoformat()
        # An E'' literal: pgbench would take a ":name" inside a plain one as a variable.
        text = str(param).replace("\\", "\\\\").replace("'", "''").replace(":", "\\x3A")
        return f"E'{text}'"

    body = re.sub(r"%\((p\d+)\)s", value, sql).replace("%%", "%")
    # pgbench takes any ":name" as a variable, even inside a string literal.
    for form in ("'YYYY-MM-DD\"T\"HH24:MI:SS'", "'YYYY-MM-DD\"T\"HH24:MI:SS.US'"):
        body = body.replace(form, "E" + form.replace(":", "\\x3A"))
    body = body.replace("'+00:00'", "E'+00\\x3A00'")
    # The seeded users' ids (a database seeded twice does not start at 1).
    from django.db.models import Max, Min

    from social.models import User

    ids = User.objects.aggregate(low=Min("pk"), high=Max("pk"))
    return f"\\set v random({ids['low']}, {ids['high']})\n{body};\n"


def _pgbench(database: str, script: str, seconds: int, connections: int) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    pg_before = common.postgres_cpu_seconds()
    out = subprocess.run(
        ["pgbench", "-n", "-M", "prepared", "-c", str(connections), "-j", "2",
         "-T", str(seconds), "-f", file.name, database],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    pg_s = common.postgres_cpu_seconds() - pg_before
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    return {
        "tps": round(tps, 1),
        "latency_ms": float(latency.group(1)) if latency else None,
        "pg_cpu_ms_per_request": round(pg_s * 1000 / max(tps * seconds, 1), 3),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True, help="a database seeded by `manage.py seed`")
    parser.add_argument("--duration", type=int, default=60, help="seconds per variant, all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--viewers", type=int, default=200)
    parser.add_argument("--pages", default="home,public,profile")
    parser.add_argument("--variants", default="uvicorn,daphne,granian,gunicorn,normal,hand,peer")
    parser.add_argument(
        "--host",
        default="uvicorn",
        choices=("uvicorn", "gunicorn"),
        help="the server of the normal executor and the hand-written view",
    )
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument(
        "--pool-size",
        type=int,
        default=4,
        help="DB_POOL_SIZE of each server process: every server stays up all run, and "
        "PostgreSQL's max_connections is shared (4 x 2 processes x 4 servers + the peer's 10)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout of the project (e.g. `git worktree add /tmp/base <commit>`): "
        "variant `baseline` serves it on uvicorn x2, in the same interleaved run",
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    common.setup_django(args.database)
    from social.models import Post, User

    viewers = common.pick_viewers(args.viewers)
    tokens = common.mint_tokens(viewers)
    peer_tokens = common.mint_peer_tokens(viewers)
    pages = {k: v for k, v in _pages(_profile_username()).items() if k in args.pages.split(",")}
    checked = _in_process(pages, tokens[0])
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.database.rsplit("/", 1)[-1],
        "users": User.objects.count(),
        "posts": Post.objects.count(),
        "viewers": len(viewers),
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "queries_per_page_compiled": {k: v["queries_compiled"] for k, v in checked.items()},
        "results": [],
        "pgbench": {},
    }
    print(
        f"{report['database']}: queries per page {report['queries_per_page_compiled']}", flush=True
    )
    wanted = args.variants.split(",")
    env = common.server_env(args.database, DB_POOL_SIZE=str(args.pool_size))
    sliced = argparse.Namespace(**{**vars(args), "duration": max(args.duration // args.rounds, 1)})
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        files = Path(tmp)
        (files / "tokens.json").write_text(json.dumps(tokens))
        (files / "peer-tokens.json").write_text(json.dumps(peer_tokens))
        servers: dict[str, common.Server] = {}
        host = common.start_uvicorn if args.host == "uvicorn" else common.start_gunicorn
        starters = {
            "uvicorn": lambda: common.start_uvicorn(env),
            "daphne": lambda: common.start_daphne(env, processes=2),
            "granian": lambda: common.start_granian(env),
            "gunicorn": lambda: common.start_gunicorn(env),
            "normal": lambda: host({**env, "GRAPHQL_COMPILED": "false"}),
            "peer": lambda: common.start_postgraphile(args.database),
            "baseline": lambda: common.start_uvicorn(env, root=args.baseline),
        }
        names = {
            "uvicorn": "ours compiled, uvicorn x2",
            "daphne": "ours compiled, daphne x2",
            "granian": "ours compiled, granian x2",
            "gunicorn": "ours compiled, gunicorn x2",
            "normal": f"ours normal, {args.host} x2",
            "peer": "PostGraphile 4 x1",
            "baseline": f"baseline {args.baseline}, uvicorn x2",
        }
        for key, start in starters.items():
            if key in wanted or (key == args.host and "hand" in wanted):
                servers[key] = stack.enter_context(common.running(start()))
                servers[key].name = names[key]
        variants = []
        for page_name, page in pages.items():
            (files / f"{page_name}-ours.json").write_text(json.dumps({"query": page["ours"]}))
            (files / f"{page_name}-peer.json").write_text(json.dumps({"query": page["peer"]}))
            for key in wanted:
                if key == "hand":
                    if page["hand"] is None:
                        continue
                    server, path, body, tok = servers[args.host], page["hand"], "ours", "tokens"
                    label = f"hand-written view, {args.host} x2"
                elif key == "peer":
                    server, path, body, tok = servers["peer"], "/graphql", "peer", "peer-tokens"
                    label = server.name
                else:
                    server, path, body, tok = servers[key], "/graphql", "ours", "tokens"
                    label = server.name
                url = server.url + path
                token = json.loads((files / f"{tok}.json").read_text())[0]
                check = common.wait_until_up(
                    url, json.loads((files / f"{page_name}-{body}.json").read_text()), token
                )
                assert "errors" not in check, (label, page_name, check)
                variants.append(
                    (
                        page_name,
                        key,
                        label,
                        server,
                        url,
                        files / f"{page_name}-{body}.json",
                        files / f"{tok}.json",
                    )
                )
        slices: list[list[dict[str, Any]]] = [[] for _ in variants]
        for round_ in range(args.rounds):
            print(f" round {round_ + 1} of {args.rounds}", flush=True)
            for index, (page_name, key, label, server, url, body_file, tokens_file) in enumerate(
                variants
            ):
                original = server.name
                server.name = label
                result = measure(server, page_name, url, body_file, tokens_file, sliced)
                server.name = original
                result["variant"] = key
                slices[index].append(result)
    results = [combine(each) for each in slices]
    print(" combined:", flush=True)
    for result in results:
        _print(result)
    report["results"] = results
    viewer_id = viewers[0]
    for page_name, found in checked.items():
        if len(found["sql"]) == 1:
            script = _pgbench_script(found["sql"][0], viewer_id)
            report["pgbench"][page_name] = _pgbench(
                args.database, script, args.pgbench_seconds, args.connections
            )
            print(f"  pgbench {page_name}: {report['pgbench'][page_name]}", flush=True)
    _summary(report)
    common.write_report(args.out, report)
    return report


def _round_ratios(ours: dict[str, Any], peer: dict[str, Any]) -> str:
    """The ratio to the peer in each round (each pair of slices taken minutes apart at most),
    as min-max: how far the machine's load moved it."""
    ratios = [
        a["rps"] / b["rps"] for a, b in zip(ours["slices"], peer["slices"], strict=True) if b["rps"]
    ]
    return f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"


def _summary(report: dict[str, Any]) -> None:
    by = {(r["page"], r["variant"]): r for r in report["results"]}
    print(
        "\n| page | variant | req/s | x PostGraphile | rounds x PostGraphile | x hand view "
        "| p50 ms | p99 ms | app CPU ms/req | PG CPU ms/req |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (page, _variant), r in by.items():
        peer = by.get((page, "peer"))
        hand = by.get((page, "hand"))
        ratio_peer = f"{r['rps'] / peer['rps']:.2f}" if peer else "-"
        rounds = _round_ratios(r, peer) if peer else "-"
        ratio_hand = f"{r['rps'] / hand['rps']:.2f}" if hand else "-"
        print(
            f"| {page} | {r['server']} | {r['rps']:.0f} | {ratio_peer} | {rounds} | {ratio_hand} "
            f"| {r['p50_ms']} | {r['p99_ms']} | {r['app_cpu_ms_per_request']} "
            f"| {r['pg_cpu_ms_per_request']} |"
        )
    for page, floor in report["pgbench"].items():
        print(
            f"| {page} | pgbench -M prepared (the compiled SQL alone) | {floor['tps']:.0f} "
            f"| | | | | | - | {floor['pg_cpu_ms_per_request']} |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
