"""Subscription benchmark: N WebSocket clients on 2 daphne processes sharing one Redis.

    python -m bench.subs_bench --database postgres://postgres@127.0.0.1:5432/bench_big \
        --clients 1000 --out bench/results/subs-1000.json

Measures (a) targeted notifications (likes: delivered vs sent, latency from the
notification's createdAt to receipt), (b) a broadcast by the most-followed author (or,
with --broadcast-followers N, the least-followed author with at least N followers) to
every online follower, (c) server memory per idle socket, (d) the connect rate and the
servers' CPU (/proc utime + stime) per delivered event over the targeted phase and over
each broadcast post. The clients (bench/load/
subs.mjs) are the graphql-ws library, each signed in as a different user.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common

EVENTS_CHANNEL = "bench:events"


def _raise_fd_limit() -> int:
    """Children inherit it: 10,000 sockets need more than the usual 1,024 descriptors."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def _metrics(server: common.Server) -> str:
    """The server's /metrics (127.0.0.1 is allowed); empty if it does not answer."""
    try:
        # Generous: a process busy with thousands of sockets answers slowly, and a missing
        # scrape would drop that process from the delivery figures.
        with urllib.request.urlopen(server.url + "/metrics", timeout=60) as response:  # noqa: S310
            return str(response.read().decode())
    except OSError:
        return ""


def _subscriptions_active(server: common.Server) -> int:
    for line in _metrics(server).splitlines():
        if line.startswith("graphql_subscriptions_active"):
            return int(float(line.split()[-1]))
    return -1


def _delivery_buckets(servers: list[common.Server], kind: str) -> dict[float, float]:
    """events_delivery_seconds of `kind`, cumulative count per upper bound, all servers."""
    prefix = f'events_delivery_seconds_bucket{{kind="{kind}",le="'
    buckets: dict[float, float] = {}
    for server in servers:
        for line in _metrics(server).splitlines():
            if line.startswith(prefix):
                bound = float(line[len(prefix) :].split('"', 1)[0])
                buckets[bound] = buckets.get(bound, 0.0) + float(line.split()[-1])
    return buckets


def _gc_pauses(servers: list[common.Server]) -> dict[str, float]:
    """python_gc_pause_seconds of every server, summed: per generation, the number of
    collections, their total seconds, and how many stopped the process over 100 ms."""
    totals: dict[str, float] = {
        f"gen{g}_{what}": 0.0 for g in "012" for what in ("count", "seconds", "upto_100ms")
    }
    for server in servers:
        for line in _metrics(server).splitlines():
            if not line.startswith("python_gc_pause_seconds"):
                continue
            name, value = line.rsplit(" ", 1)
            generation = name.split('generation="', 1)[1].split('"', 1)[0]
            if name.startswith("python_gc_pause_seconds_count"):
                key = f"gen{generation}_count"
            elif name.startswith("python_gc_pause_seconds_sum"):
                key = f"gen{generation}_seconds"
            elif 'le="0.1"' in name:
                key = f"gen{generation}_upto_100ms"
            else:
                continue
            totals[key] = totals.get(key, 0.0) + float(value)
    for generation in "012":
        count = totals.get(f"gen{generation}_count", 0.0)
        totals[f"gen{generation}_over_100ms"] = count - totals.pop(
            f"gen{generation}_upto_100ms", 0.0
        )
    return totals


def _gc_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {key: round(after[key] - before.get(key, 0.0), 3) for key in sorted(after)}


def delivery_quantiles(
    before: dict[float, float], after: dict[float, float]
) -> dict[str, float | int | None]:
    """Server-side commit -> delivery delay of the events counted between two scrapes:
    count, and p50/p99 in ms interpolated within histogram buckets (as Prometheus'
    histogram_quantile does), so a figure is only as fine as its bucket."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1] if counts else 0.0
    report: dict[str, float | int | None] = {"count": int(total)}
    for name, q in (("p50_ms", 0.5), ("p99_ms", 0.99)):
        value = None
        if total:
            rank, lower, below = q * total, 0.0, 0.0
            for bound, count in zip(bounds, counts, strict=True):
                if count >= rank:
                    upper = bound if bound != float("inf") else lower
                    share = (rank - below) / (count - below) if count > below else 1.0
                    value = round(1000 * (lower + (upper - lower) * share), 1)
                    break
                lower, below = bound, count
        report[name] = value
    return report


def _cpu(servers: list[common.Server]) -> float:
    """utime + stime of every server process (uvicorn's workers too), in seconds."""
    return sum(server.cpu_seconds() for server in servers)


def _cpu_per_event(seconds: float, delivered: int) -> dict[str, float | int]:
    """Server CPU over a phase (the mutations that caused the events included, and the
    phase's idle waits) per event the clients received."""
    return {
        "server_cpu_ms": round(seconds * 1000, 1),
        "delivered": delivered,
        "cpu_ms_per_delivered_event": round(seconds * 1000 / max(delivered, 1), 3),
    }


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """Who is online, who likes what, who broadcasts: from the seeded database."""
    from social.models import Follow, Like, Post, User

    rng = random.Random(args.seed)
    if args.broadcast_followers:
        author = (
            User.objects.filter(follower_count__gte=args.broadcast_followers)
            .order_by("follower_count", "pk")
            .first()
        )
    else:
        author = User.objects.order_by("-follower_count", "pk").first()
    assert author is not None, "seed the database first (or ask for fewer followers)"
    followers = list(
        Follow.objects.filter(followee=author).order_by("pk").values_list("follower_id", flat=True)
    )
    others = list(
        User.objects.exclude(pk=author.pk)
        .exclude(pk__in=followers)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # The author comes online last, only when everyone else already is; their own home
    # feed receives the post too.
    online = (followers + others + [author.pk])[: args.clients]
    if len(online) < args.clients:
        raise SystemExit(f"only {len(online)} users; seed more")
    online_set = set(online)
    expected = len(online_set & {*followers, author.pk})

    # Targeted: actor likes a post of an online recipient it has not liked yet.
    recipients = rng.sample(online, min(args.targeted, len(online)))
    posts_of: dict[int, list[int]] = {}
    for pk, author_id in Post.objects.filter(author_id__in=recipients).values_list(
        "pk", "author_id"
    ):
        posts_of.setdefault(author_id, []).append(pk)
    all_users = [*online, *others[len(online) :]]
    likes = []
    for recipient in recipients:
        if not posts_of.get(recipient):
            continue
        post_id = rng.choice(posts_of[recipient])
        likers = set(Like.objects.filter(post_id=post_id).values_list("user_id", flat=True))
        actor = rng.choice(all_users)
        while actor == recipient or actor in likers:
            actor = rng.choice(all_users)
        likes.append((actor, post_id))

    from graph.ids import global_id

    token_of = dict(zip(online, common.mint_tokens(online), strict=True))
    actors = sorted({a for a, _ in likes} - online_set)
    token_of.update(zip(actors, common.mint_tokens(actors), strict=True))
    (author_token,) = common.mint_tokens([author.pk])
    return {
        "author": author.username,
        "author_followers": len(followers),
        "online_followers": len(online_set & set(followers)),
        "author_online": author.pk in online_set,
        "clients": [{"user": pk, "token": token_of[pk]} for pk in online],
        "targeted": [
            {"token": token_of[actor], "postId": global_id("Post", post_id)}
            for actor, post_id in likes
        ],
        "broadcast": {
            "token": author_token,
            "posts": args.broadcasts,
            "gapMs": 1000,
            # Every online follower, and the author when online.
            "expected": expected,
        },
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--targeted", type=int, default=300, help="notifications to send")
    parser.add_argument("--rate", type=int, default=20, help="targeted mutations per second")
    parser.add_argument("--broadcasts", type=int, default=3, help="posts by the popular author")
    parser.add_argument(
        "--broadcast-followers",
        type=int,
        default=0,
        help="broadcast from the least-followed author with at least this many followers "
        "(0: the most-followed)",
    )
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--server", choices=("daphne", "uvicorn"), default="daphne")
    parser.add_argument("--ws-options", default="", help="extra uvicorn options, space-separated")
    parser.add_argument(
        "--connect-concurrency", type=int, default=20, help="handshakes in flight at once"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wait-ms", type=int, default=15000, help="longest wait for events")
    parser.add_argument("--settle", type=float, default=2.0, help="idle seconds before RSS")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)

    fd_limit = _raise_fd_limit()
    extra = {"EVENTS_CHANNEL": EVENTS_CHANNEL, "RATELIMIT_ENABLE": "false"}
    common.setup_django(args.database, args.redis, **extra)
    setup = plan(args)
    from django.db import connections

    connections.close_all()
    env = common.server_env(args.database, args.redis, **extra)
    common.UVICORN_WS_OPTIONS[:] = args.ws_options.split()
    start = common.start_uvicorn if args.server == "uvicorn" else common.start_daphne
    servers = [start(env, 1) for _ in range(args.processes)]
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.database.rsplit("/", 1)[-1],
        "clients": args.clients,
        "processes": args.processes,
        "server": servers[0].name,
        "fd_limit": fd_limit,
        "author": setup["author"],
        "author_followers": setup["author_followers"],
        "online_followers": setup["online_followers"],
    }
    try:
        for server in servers:
            common.wait_until_up(server.url + "/graphql", {"query": "{ __typename }"}, None)
        time.sleep(1)
        rss_before = sum(s.rss_bytes() for s in servers)
        config = {
            "urls": [s.url.replace("http://", "ws://") + "/graphql" for s in servers],
            "httpUrls": [s.url + "/graphql" for s in servers],
            "connectConcurrency": args.connect_concurrency,
            "targetedRate": args.rate,
            "waitMs": args.wait_ms,
            **{k: setup[k] for k in ("clients", "targeted", "broadcast")},
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(config, f)
        driver = subprocess.Popen(
            [common.NODE, str(common.BENCH / "load/subs.mjs"), f.name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=common.BENCH / "load",
        )
        assert driver.stdout is not None and driver.stdin is not None
        for line in driver.stdout:
            event = json.loads(line)
            print(f"  {json.dumps(event)[:400]}", flush=True)
            if event["phase"] == "connected":
                report["connect_seconds"] = event["seconds"]
                report["connect_rate_per_s"] = round(
                    event["connected"] / max(event["seconds"], 0.001), 1
                )
                # Every socket carries two subscriptions; wait until all are running.
                wanted = 2 * event["connected"]
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    active = sum(_subscriptions_active(s) for s in servers)
                    if active >= wanted or active < 0:
                        break
                    time.sleep(0.5)
                report["subscriptions_active"] = active
                time.sleep(args.settle)
                rss_idle = sum(s.rss_bytes() for s in servers)
                report["rss_before_mb"] = round(rss_before / 2**20, 1)
                report["rss_idle_mb"] = round(rss_idle / 2**20, 1)
                report["rss_per_idle_socket_kb"] = round(
                    (rss_idle - rss_before) / max(event["connected"], 1) / 1024, 1
                )
                print(
                    f"  idle: {report['rss_per_idle_socket_kb']} KB per socket "
                    f"({report['subscriptions_active']} subscriptions)",
                    flush=True,
                )
                gc_before = _gc_pauses(servers)
                delivered_before = {
                    kind: _delivery_buckets(servers, kind) for kind in ("notification", "post")
                }
                cpu_mark = _cpu(servers)
                driver.stdin.write("go\n")
                driver.stdin.flush()
            elif event["phase"] == "broadcast_post_start":
                cpu_mark = _cpu(servers)
            elif event["phase"] == "broadcast_post":
                report.setdefault("broadcast_cpu", []).append(
                    _cpu_per_event(_cpu(servers) - cpu_mark, event["delivered"])
                )
                print(f"  server CPU (post {event['post']}): {report['broadcast_cpu'][-1]}")
            elif event["phase"] in ("targeted", "broadcast"):
                if event["phase"] == "targeted":
                    report["targeted_cpu"] = _cpu_per_event(
                        _cpu(servers) - cpu_mark, event["delivered"]
                    )
                    print(f"  server CPU (targeted): {report['targeted_cpu']}", flush=True)
                kind = "notification" if event["phase"] == "targeted" else "post"
                server_side = delivery_quantiles(
                    delivered_before[kind], _delivery_buckets(servers, kind)
                )
                report[f"{event['phase']}_server_commit_to_delivery"] = server_side
                print(f"  server-side commit -> delivery ({kind}): {server_side}", flush=True)
                gc_now = _gc_pauses(servers)
                pauses = _gc_delta(gc_before, gc_now)
                report[f"{event['phase']}_gc_pauses"] = pauses
                gc_before = gc_now
                print(f"  garbage collection ({event['phase']}): {pauses}", flush=True)
            elif event["phase"] == "result":
                report["result"] = event
        driver.wait(timeout=60)
        Path(f.name).unlink(missing_ok=True)
    finally:
        for server in servers:
            server.stop()
    common.write_report(args.out, report)
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
