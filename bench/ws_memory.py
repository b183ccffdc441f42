"""Memory per idle WebSocket and server CPU per connect, on ONE uvicorn process.

    python -m bench.ws_memory --database postgres://postgres@127.0.0.1:5432/ws_mem \
        --redis redis://127.0.0.1:6379/4 --clients 2000 --out bench/results/ws-memory.json

One uvicorn process started as the Procfile's `web` (DEBUG off, the env of bench/common.py;
`--ws` picks uvicorn's WebSocket implementation, `--app floor` serves bench/ws_floor.py's
bare ASGI app instead of config.asgi, to measure what the server alone costs per socket),
then N clients (Python `websockets`), each signed in as its own user with a Bearer token
in `connection_init` and holding `notificationAdded` and `homeFeedPostAdded`. Reported:

- rss_per_socket_kb: (RSS with N sockets subscribed and idle - RSS before the first one,
  after a warm-up) / N;
- cpu_ms_per_connect: server CPU (utime + stime) from the first handshake until every
  subscription is registered (graphql_subscriptions_active on /metrics), / N;
- after the clients leave: RSS, subscriptions left and handler tasks left.

`--tracemalloc` runs the server under tracemalloc and adds the top allocation sites of
the per-socket growth (snapshots diffed across the N connections); CPU figures of such a
run are inflated by tracing and not comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import common

EVENTS_CHANNEL = "bench:ws"
NOTIFICATIONS = "subscription { notificationAdded { cursor notification { id kind } } }"
FEED = "subscription { homeFeedPostAdded { id body author { username } } }"
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


# The server side: uvicorn, optionally under tracemalloc -------------------------------

APPS = {"ours": "config.asgi:application", "floor": "bench.ws_floor:application"}


def procfile_web_options() -> list[str]:
    """The Procfile's `web` uvicorn options, without host, port and application."""
    line = next(
        x for x in (common.ROOT / "Procfile").read_text().splitlines() if x.startswith("web:")
    )
    words = line.split()[2:-1]  # without `uvicorn` and the application
    options, skip = [], False
    for word in words:
        if skip:
            skip = False
        elif word in ("--host", "--port"):
            skip = True
        else:
            options.append(word)
    return options


def serve(argv: list[str]) -> None:
    """uvicorn's own entry point; with WS_MEMORY_SNAPSHOTS set, SIGUSR1 dumps a snapshot."""
    snapshots = os.environ.get("WS_MEMORY_SNAPSHOTS")
    if snapshots:
        import tracemalloc

        tracemalloc.start(int(os.environ.get("WS_MEMORY_FRAMES", "1")))
        count = 0

        def dump(_signum: int, _frame: Any) -> None:
            nonlocal count
            import gc

            gc.collect()
            tracemalloc.take_snapshot().dump(f"{snapshots}/{count}.snap")
            count += 1
            Path(f"{snapshots}/{count - 1}.done").touch()

        signal.signal(signal.SIGUSR1, dump)
    from uvicorn.main import main as uvicorn_main

    uvicorn_main(argv)


def start_server(
    env: dict[str, str],
    port: int,
    snapshots: str | None,
    frames: int = 1,
    *,
    app: str = "ours",
    ws: str | None = None,
    loop: str | None = None,
) -> subprocess.Popen[bytes]:
    options = procfile_web_options()
    if ws:
        options.append(f"--ws={ws}")
    if loop:
        options.append(f"--loop={loop}")
    uvicorn_args = ["--host", "127.0.0.1", "--port", str(port), *options, APPS[app]]
    if snapshots:
        env = {**env, "WS_MEMORY_SNAPSHOTS": snapshots, "WS_MEMORY_FRAMES": str(frames)}
    command = [sys.executable, "-m", "bench.ws_memory", "serve", *uvicorn_args]
    return subprocess.Popen(command, cwd=common.ROOT, env=env)


def _metric(url: str, name: str) -> float:
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=5) as response:  # noqa: S310
            text = response.read().decode()
    except OSError:
        return -1
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return 0


# The client side ------------------------------------------------------------------------


class Clients:
    def __init__(self, ws_url: str, protocol: str) -> None:
        self.ws_url = ws_url
        self.protocol = protocol
        self.sockets: list[Any] = []
        self.errors = 0
        self.first_error: str | None = None

    async def open_one(self, token: str, semaphore: asyncio.Semaphore) -> None:
        import websockets

        async with semaphore:
            try:
                ws = await websockets.connect(
                    self.ws_url,
                    subprotocols=[self.protocol],  # type: ignore[list-item]
                    compression=None,
                    ping_interval=None,
                    open_timeout=60,
                    max_queue=4,
                )
                await ws.send(
                    json.dumps(
                        {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                    )
                )
                while True:
                    answer = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if answer["type"] == "connection_ack":
                        break
                    if answer["type"] not in {"ka", "ping"}:
                        raise RuntimeError(f"no connection_ack: {answer}")
                start = "subscribe" if self.protocol == TRANSPORT_WS else "start"
                for op_id, query in (("1", NOTIFICATIONS), ("2", FEED)):
                    await ws.send(
                        json.dumps({"id": op_id, "type": start, "payload": {"query": query}})
                    )
                self.sockets.append(ws)
            except Exception as exc:
                self.errors += 1
                self.first_error = self.first_error or f"{exc.__class__.__name__}: {exc}"[:300]

    async def open(self, tokens: list[str], concurrency: int) -> None:
        semaphore = asyncio.Semaphore(concurrency)
        await asyncio.gather(*(self.open_one(t, semaphore) for t in tokens))

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        self.sockets.clear()


async def _until(condition: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(condition):
            return True
        await asyncio.sleep(0.5)
    return False


def _snapshot(snapshots: str, index: int, pid: int) -> Any:
    import tracemalloc

    os.kill(pid, signal.SIGUSR1)
    done = Path(f"{snapshots}/{index}.done")
    deadline = time.monotonic() + 300
    while not done.exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the server wrote no snapshot")
        time.sleep(0.2)
    return tracemalloc.Snapshot.load(f"{snapshots}/{index}.snap")


def _top(before: Any, after: Any, clients: int, key: str, limit: int) -> list[dict[str, Any]]:
    stats = after.compare_to(before, key)
    total = sum(s.size_diff for s in stats)
    rows = [{"total_per_socket_b": round(total / clients)}]
    for stat in stats[:limit]:
        frame = stat.traceback[0]
        where = f"{frame.filename.split('site-packages/')[-1]}:{frame.lineno}"
        if key == "filename":
            where = frame.filename.split("site-packages/")[-1]
        if key == "traceback":
            where = " <- ".join(
                f"{f.filename.split('/')[-1]}:{f.lineno}" for f in reversed(stat.traceback)
            )
        rows.append(
            {
                "where": where,
                "per_socket_b": round(stat.size_diff / clients),
                "blocks_per_socket": round(stat.count_diff / clients, 2),
            }
        )
    return rows


def signed_in_tokens(args: argparse.Namespace) -> list[str]:
    """One access token per client (and per warm-up client), each a different user."""
    common.setup_django(args.database, args.redis, EVENTS_CHANNEL=EVENTS_CHANNEL)
    viewers = common.pick_viewers(args.clients + args.warmup, seed=1)
    if len(viewers) < args.clients + args.warmup:
        raise SystemExit(f"only {len(viewers)} users with follows; seed more")
    return common.mint_tokens(viewers)


async def run(args: argparse.Namespace, all_tokens: list[str]) -> dict[str, Any]:
    warm_tokens, tokens = all_tokens[: args.warmup], all_tokens[args.warmup :]

    extra = {"EVENTS_CHANNEL": EVENTS_CHANNEL, "RATELIMIT_ENABLE": "false"}
    if args.malloc_arena_max:
        extra["MALLOC_ARENA_MAX"] = str(args.malloc_arena_max)
    env = common.server_env(args.database, args.redis, **extra)
    if not args.malloc_arena_max:
        env.pop("MALLOC_ARENA_MAX", None)
    port = common.free_port()
    url = f"http://127.0.0.1:{port}"
    snapshots = tempfile.mkdtemp(prefix="ws-memory-") if args.tracemalloc else None
    server = start_server(
        env, port, snapshots, args.frames, app=args.app, ws=args.ws, loop=args.loop
    )
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "app": args.app,
        "ws": args.ws or "(the Procfile's)",
        "loop": args.loop or "(the Procfile's)",
        "clients": args.clients,
        "protocol": args.protocol,
        "malloc_arena_max": args.malloc_arena_max or None,
        "tracemalloc": bool(args.tracemalloc),
    }
    try:
        common.wait_until_up(url + "/graphql", {"query": "{ __typename }"}, None)
        clients = Clients(f"ws://127.0.0.1:{port}/graphql", args.protocol)
        # Warm-up: imports, schema and validation caches, the database pool, the broker.
        await clients.open(warm_tokens, args.concurrency)
        await _until(lambda: _metric(url, "graphql_subscriptions_active") >= 2 * args.warmup, 30)
        await clients.close()
        await _until(lambda: _metric(url, "graphql_subscriptions_active") == 0, 30)
        await asyncio.sleep(1)

        before_snap = _snapshot(snapshots, 0, server.pid) if snapshots else None
        rss_before = common._rss_bytes(server.pid)
        cpu_before = common._cpu_seconds(server.pid)
        started = time.monotonic()
        await clients.open(tokens, args.concurrency)
        connected = len(clients.sockets)
        all_in = await _until(
            lambda: _metric(url, "graphql_subscriptions_active") >= 2 * connected, 120
        )
        connect_s = time.monotonic() - started
        cpu_connect = common._cpu_seconds(server.pid) - cpu_before
        await asyncio.sleep(args.idle)
        rss_idle = common._rss_bytes(server.pid)
        cpu_idle_window = common._cpu_seconds(server.pid) - cpu_before - cpu_connect
        after_snap = _snapshot(snapshots, 1, server.pid) if snapshots else None
        subscriptions = _metric(url, "graphql_subscriptions_active")
        report.update(
            connected=connected,
            connect_errors=clients.errors,
            first_error=clients.first_error,
            all_subscribed=all_in,
            subscriptions_active=subscriptions,
            connect_s=round(connect_s, 2),
            cpu_ms_per_connect=round(cpu_connect * 1000 / max(connected, 1), 2),
            cpu_ms_idle_per_second=round(cpu_idle_window * 1000 / args.idle, 1),
            rss_before_mb=round(rss_before / 2**20, 1),
            rss_idle_mb=round(rss_idle / 2**20, 1),
            rss_per_socket_kb=round((rss_idle - rss_before) / 1024 / max(connected, 1), 1),
        )
        if before_snap is not None and after_snap is not None:
            n = max(connected, 1)
            report["tracemalloc_by_file"] = _top(before_snap, after_snap, n, "filename", 25)
            report["tracemalloc_by_line"] = _top(before_snap, after_snap, n, "lineno", 40)
            if args.frames > 1:
                report["tracemalloc_by_traceback"] = _top(
                    before_snap, after_snap, n, "traceback", 60
                )
        await clients.close()
        await _until(lambda: _metric(url, "graphql_subscriptions_active") == 0, 60)
        await asyncio.sleep(1)
        report.update(
            subscriptions_after_close=_metric(url, "graphql_subscriptions_active"),
            websockets_open_after_close=_metric(url, "graphql_websockets_open"),
            rss_after_close_mb=round(common._rss_bytes(server.pid) / 2**20, 1),
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return report


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        serve(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--redis", default=None)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before sampling")
    parser.add_argument("--protocol", choices=[TRANSPORT_WS, LEGACY_WS], default=TRANSPORT_WS)
    parser.add_argument("--malloc-arena-max", type=int, default=0)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--frames", type=int, default=1, help="tracemalloc frames per trace")
    parser.add_argument("--app", choices=sorted(APPS), default="ours")
    parser.add_argument(
        "--ws",
        default=None,
        help="uvicorn's --ws: websockets, websockets-sansio, wsproto or an import string",
    )
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    report = asyncio.run(run(args, signed_in_tokens(args)))
    common.write_report(args.out, report)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
