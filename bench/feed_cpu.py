"""In-process CPU per homeFeed page, for A/B of small changes on a loaded machine.

    python -m bench.feed_cpu postgres://postgres@127.0.0.1:5432/bench_h1 LABEL [--hand]
    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=_operator_call \\
        python -m bench.feed_cpu postgres://... LABEL --callgrind [--hand]

Sends the bench page (bench/queries.py) through Django's test Client in this process and
prints CPU ms per request for 5 rounds of 100. Process CPU time is far less disturbed by
other work on the machine than req/s under load (bench/RESULTS.md, "HTTP tuning").
`--hand` sends the hand-written view's page (bench/views.py) instead. `--callgrind` runs 30
warm-up pages, then 20 pages inside one `operator.call()` (a C function nothing else calls),
so callgrind's `--toggle-collect=_operator_call` counts the instructions of those 20 pages
only (repeatable within ~0.1 %).
"""

import json
import operator
import sys
import time

from bench import common


def main() -> None:
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    hand = "--hand" in sys.argv
    callgrind = "--callgrind" in sys.argv
    common.setup_django(args[0])
    from django.test import Client

    from bench.queries import HOME_FEED_QUERY

    tokens = common.mint_tokens(common.pick_viewers(50))
    client = Client()
    body = json.dumps({"query": HOME_FEED_QUERY})

    def run(n: int) -> None:
        for i in range(n):
            token = tokens[i % len(tokens)]
            if hand:
                response = client.get("/bench/home-feed", HTTP_AUTHORIZATION=f"Bearer {token}")
            else:
                response = client.post(
                    "/graphql",
                    body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                )
            assert b'"errors"' not in response.content, response.content[:300]

    label = args[1] if len(args) > 1 else ""
    if callgrind:
        run(30)
        operator.call(run, 20)  # the marker callgrind toggles collection on
        print(f"{label} 20 pages after 30 warm-up: read the callgrind totals")
        return
    run(50)  # warm caches and the pool
    rounds = []
    for _ in range(5):
        started = time.process_time()
        run(100)
        rounds.append((time.process_time() - started) * 10)
    figures = " ".join(f"{ms:.1f}" for ms in rounds)
    print(f"{label} CPU ms/request, 5 x 100: {figures}; median {sorted(rounds)[2]:.1f}")


if __name__ == "__main__":
    main()
