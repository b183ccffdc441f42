"""In-process CPU per homeFeed page, for A/B of small changes on a loaded machine.

    python -m bench.feed_cpu postgres://postgres@127.0.0.1:5432/bench_h1 LABEL

Sends the bench page (bench/queries.py) through Django's test Client in this process and
prints CPU ms per request for 5 rounds of 100. Process CPU time is far less disturbed by
other work on the machine than req/s under load (bench/RESULTS.md, "HTTP tuning").
"""

import json
import sys
import time

from bench import common


def main() -> None:
    common.setup_django(sys.argv[1])
    from django.test import Client

    from bench.queries import HOME_FEED_QUERY

    tokens = common.mint_tokens(common.pick_viewers(50))
    client = Client()
    body = json.dumps({"query": HOME_FEED_QUERY})

    def run(n: int) -> None:
        for i in range(n):
            token = tokens[i % len(tokens)]
            response = client.post(
                "/graphql",
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            assert b'"errors"' not in response.content, response.content[:300]

    run(50)  # warm caches and the pool
    rounds = []
    for _ in range(5):
        started = time.process_time()
        run(100)
        rounds.append((time.process_time() - started) * 10)
    label = sys.argv[2] if len(sys.argv) > 2 else ""
    figures = " ".join(f"{ms:.1f}" for ms in rounds)
    print(f"{label} CPU ms/request, 5 x 100: {figures}; median {sorted(rounds)[2]:.1f}")


if __name__ == "__main__":
    main()
