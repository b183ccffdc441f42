"""In-process CPU and instructions per compiled page through the production HTTP handler.

    python -m bench.page_cpu postgres://postgres@127.0.0.1:5432/social_compiled_bench home
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \\
        python -m bench.page_cpu postgres://... home --callgrind

Sends a compiled bench page (bench/queries.py: home, public or profile, with media) as a
POST through `respond()` of config/asgi_http.py, the function a uvicorn worker's pool
thread runs per request (request_started, the middleware, the view, response.close()),
with a signed-in viewer taken in turn from 50. Without `--callgrind`: CPU ms per page,
5 rounds of 200 after 100 warm-up. With it: 100 warm-up pages, then 50 inside one
`operator.call()` (a C function nothing else calls), so callgrind's
`--toggle-collect=_operator_call` counts the instructions of those 50 pages only.
`--profile [re:PATTERN] [tottime|cumulative]`: cProfile of 1,000 pages (CPU clock);
`--profile --callees PATTERN`: what the matching functions call.
"""

from __future__ import annotations

import io
import json
import operator
import sys
import time
from typing import Any

from bench import common


def _scope(token: str, length: int) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(length).encode()),
            (b"accept", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


def main() -> None:
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    callgrind = "--callgrind" in sys.argv
    common.setup_django(args[0], DB_POOL_SIZE="2")
    page = args[1] if len(args) > 1 else "home"

    from bench import queries
    from bench.compiled_bench import _profile_username
    from config.asgi_http import OneHopHTTPHandler

    query = {
        "home": queries.HOME_PAGE_QUERY,
        "public": queries.PUBLIC_PAGE_QUERY,
        "profile": queries.profile_query(_profile_username()) if page == "profile" else "",
    }[page]
    body = json.dumps({"query": query}).encode()
    tokens = common.mint_tokens(common.pick_viewers(50))
    scopes = [_scope(token, len(body)) for token in tokens]
    handler = OneHopHTTPHandler(threads=1)

    def run(n: int) -> None:
        for i in range(n):
            response = handler.respond(scopes[i % len(scopes)], io.BytesIO(body))
            content = response.content  # type: ignore[attr-defined]
            assert response.status_code == 200, content[:300]
            assert b'"errors"' not in content, content[:300]

    if "--profile" in sys.argv:
        import cProfile
        import pstats

        run(100)
        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(run, 1000)
        stats = pstats.Stats(profiler)
        if "--callees" in sys.argv:
            stats.sort_stats("cumulative").print_callees(sys.argv[sys.argv.index("--callees") + 1])
            return
        order = sys.argv[-1] if sys.argv[-1] in ("tottime", "cumulative") else "cumulative"
        only = [arg[3:] for arg in sys.argv if arg.startswith("re:")]
        stats.sort_stats(order).print_stats(*only, 60)
        return
    if callgrind:
        run(100)
        operator.call(run, 50)  # the marker callgrind toggles collection on
        print(f"{page}: 50 pages after 100 warm-up: read the callgrind totals")
        return
    run(100)
    rounds = []
    for _ in range(5):
        started = time.process_time()
        run(200)
        rounds.append((time.process_time() - started) * 1000 / 200)
    figures = " ".join(f"{ms:.3f}" for ms in rounds)
    print(f"{page} CPU ms/page, 5 x 200: {figures}; median {sorted(rounds)[2]:.3f}")


if __name__ == "__main__":
    main()
