"""Renders bench/results/*.json as the Markdown tables of bench/RESULTS.md.

python -m bench.report bench/results
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PAGE_NAMES = {"graphql": "ours (homeFeed)", "hand": "hand-written view", "peer": "PostGraphile 4"}


def _load(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def http_table(report: dict[str, Any]) -> list[str]:
    rows = report["results"]
    peer = next((r for r in rows if r["page"] == "peer"), None)
    lines = [
        f"**{report['label'] or report['database']}**: {report['posts']:,} posts, "
        f"{report['users']:,} users, {report['viewers']} viewers, {report['connections']} "
        f"connections, {report['duration_s']} s per variant, {report['date']}; SQL queries "
        f"per page: {report['queries_per_page']}",
        "",
        "| server | page | req/s | p50 ms | p99 ms | errors | app CPU ms/req | PG CPU ms/req "
        "| x hand-written | x PostGraphile |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        hand = next((h for h in rows if h["page"] == "hand" and h["server"] == r["server"]), None)
        to_hand = f"{r['rps'] / hand['rps']:.2f}" if hand and r["page"] == "graphql" else ""
        to_peer = f"{r['rps'] / peer['rps']:.2f}" if peer and r["page"] != "peer" else ""
        errors = r["errors"] + r["non2xx"] + r["graphql_errors"]
        lines.append(
            f"| {r['server']} | {PAGE_NAMES[r['page']]} | {r['rps']:.1f} | {r['p50_ms']} | "
            f"{r['p99_ms']} | {errors} | {r['app_cpu_ms_per_request']} | "
            f"{r['pg_cpu_ms_per_request']} | {to_hand} | {to_peer} |"
        )
    return lines


def growth_line(small: dict[str, Any], big: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "| page (daphne x2) | p50 at 10k posts | p50 at 100k posts | growth |",
        "|---|---:|---:|---:|",
    ]
    for page in ("graphql", "hand", "peer"):
        a = next(
            (r for r in small["results"] if r["page"] == page and "uvicorn" not in r["server"]),
            None,
        )
        b = next(
            (r for r in big["results"] if r["page"] == page and "uvicorn" not in r["server"]), None
        )
        if a and b and a["p50_ms"]:
            lines.append(
                f"| {PAGE_NAMES[page]} | {a['p50_ms']} | {b['p50_ms']} | "
                f"{b['p50_ms'] / a['p50_ms']:.2f}x |"
            )
    return lines


def subs_table(reports: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| clients | connected | connect s | targeted sent / delivered | targeted p50 / p99 ms "
        "| broadcast expected / delivered (each post) | all arrived ms | broadcast p50 / "
        "p99 ms | RSS per idle socket KB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for report in reports:
        result = report.get("result", {})
        t = result.get("targeted", {})
        casts = result.get("broadcasts", [])
        expected = casts[0]["expected"] if casts else None

        def each(key: str, casts: list[dict[str, Any]] = casts) -> str:
            return ", ".join(str(b[key]) for b in casts)

        cells = [
            f"{report['clients']:,}",
            result.get("connected"),
            report.get("connect_seconds"),
            f"{t.get('sent')} / {t.get('delivered')}",
            f"{t.get('p50_ms')} / {t.get('p99_ms')}",
            f"{expected} / {each('delivered')}",
            each("all_arrived_ms"),
            f"{each('p50_ms')} / {each('p99_ms')}",
            report.get("rss_per_idle_socket_kb"),
        ]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lines += ["", *_delivery_table(reports), "", *_gc_table(reports)]
    return lines


def _gc_table(reports: list[dict[str, Any]]) -> list[str]:
    """Garbage-collector pauses of all server processes, per phase (python_gc_pause_seconds)."""
    lines = [
        "| clients | phase | full collections (s) | young + middle collections (s) "
        "| pauses over 100 ms |",
        "|---:|---|---:|---:|---:|",
    ]
    for report in reports:
        for phase in ("targeted", "broadcast"):
            gc = report.get(f"{phase}_gc_pauses")
            if not gc:
                continue
            young = gc.get("gen0_count", 0) + gc.get("gen1_count", 0)
            young_s = gc.get("gen0_seconds", 0) + gc.get("gen1_seconds", 0)
            over = sum(gc.get(f"gen{g}_over_100ms", 0) for g in "012")
            cells = [
                f"{report['clients']:,}",
                phase,
                f"{gc.get('gen2_count', 0):g} ({gc.get('gen2_seconds', 0):.2f})",
                f"{young:g} ({young_s:.2f})",
                f"{over:g}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def _delivery_table(reports: list[dict[str, Any]]) -> list[str]:
    """Commit -> delivery, server-side (events_delivery_seconds), next to the client's two
    bounds of it: from createdAt (written before the commit) and from the mutation's answer
    (received after it)."""
    lines = [
        "| clients | targeted, server: commit -> delivery p50 / p99 ms | targeted, client: "
        "createdAt -> receipt p50 / p99 ms | targeted, client: answer -> receipt p50 / p99 ms "
        "| broadcast, server: commit -> delivery p50 / p99 ms |",
        "|---:|---:|---:|---:|---:|",
    ]
    for report in reports:
        targeted = report.get("result", {}).get("targeted", {})
        answer = targeted.get("after_answer", {})
        server_t = report.get("targeted_server_commit_to_delivery") or {}
        server_b = report.get("broadcast_server_commit_to_delivery") or {}
        cells = [
            f"{report['clients']:,}",
            f"{server_t.get('p50_ms')} / {server_t.get('p99_ms')}",
            f"{targeted.get('p50_ms')} / {targeted.get('p99_ms')}",
            f"{answer.get('p50_ms')} / {answer.get('p99_ms')}",
            f"{server_b.get('p50_ms')} / {server_b.get('p99_ms')}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv: list[str]) -> None:
    results = Path(argv[0] if argv else "bench/results")
    out: list[str] = []
    for name in ("seed-bench_small.json", "seed-bench_big.json"):
        seeded = _load(results / name)
        if seeded:
            out.append(
                f"Seed {seeded['database']}: {seeded['users']:,} users x "
                f"{seeded['posts_per_user']} posts in {seeded['seconds']} s"
            )
    big, small = _load(results / "http-big.json"), _load(results / "http-small.json")
    names = ("http-servers.json", "http-wsgi.json", "http-tuning.json")
    extra = [_load(results / name) for name in names]
    for report in (big, small, *extra):
        if report:
            out += ["", *http_table(report)]
    if big and small:
        out += growth_line(small, big)
    subs = [r for n in (1000, 5000, 10000) if (r := _load(results / f"subs-{n}.json"))]
    if subs:
        out += ["", *subs_table(subs)]
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1:])
