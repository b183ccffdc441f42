"""Server time of the queries an app's screens send, in process, one at a time.

    python -m bench.screens postgres://postgres@127.0.0.1:5432/bench_screens --rounds 40 \
        --out bench/results/screens.json

Each screen's document goes through the Django test client (the whole middleware stack and
the view, no network) signed in as the seeded user with the most follows; a warm-up of 10
runs first prepares its statements and lets PostgreSQL settle on its generic plans. The
profile, followers and posts screens are those of the user with the most followers, the
thread that of the post with the most replies, the hashtag feed that of the commonest tag.
Reported: the median and 90th percentile in ms, per screen.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from bench import common

POST = (
    "id body createdAt editedAt likeCount replyCount viewerHasLiked hashtags"
    " author { id username displayName avatarUrl viewerFollows }"
    " mentions { id username } media { url width height }"
)
USER = (
    "id username displayName avatarUrl bio followerCount followingCount postCount"
    " viewerFollows followsViewer isLocked viewerBlocks blocksViewer viewerMutes"
    " viewerFollowRequested"
)
PAGE = "pageInfo { hasNextPage endCursor }"
SCREENS = {
    "homeFeed": f"{{ homeFeed(first: 20) {{ edges {{ cursor node {{ {POST} }} }} {PAGE} }} }}",
    "publicFeed": f"{{ publicFeed(first: 20) {{ edges {{ cursor node {{ {POST} }} }} {PAGE} }} }}",
    "hashtagFeed": f"query($tag: String!) {{ hashtagFeed(tag: $tag, first: 20) {{ edges {{"
    f" cursor node {{ {POST} }} }} {PAGE} }} }}",
    "profile": f"query($name: String!) {{ user(username: $name) {{ {USER} posts(first: 20) {{"
    f" edges {{ cursor node {{ {POST} }} }} {PAGE} }} }} }}",
    "followers": f"query($name: String!) {{ user(username: $name) {{ id followers(first: 20) {{"
    f" edges {{ cursor node {{ {USER} }} }} {PAGE} }} }} }}",
    "thread": f"query($post: ID!) {{ post(id: $post) {{ {POST} replyTo {{ id }} replies(first: 20)"
    f" {{ edges {{ cursor node {{ {POST} }} }} {PAGE} }} }} }}",
    "notifications": "{ notifications(first: 20) { edges { cursor node { id kind read createdAt"
    f" actor {{ id username displayName avatarUrl }} post {{ {POST} }} }} }} {PAGE} }} }}",
    "searchUsers": f'{{ searchUsers(query: "user1", first: 20) {{ edges {{ cursor node {{ {USER} }}'
    f" }} {PAGE} }} }}",
    "me": f"{{ me {{ {USER} email emailVerified }} }}",
}


def _subjects() -> dict[str, Any]:
    from django.db.models import Count

    from graph.ids import global_id
    from social.models import Post, PostHashtag, User

    viewer = User.objects.order_by("-following_count", "pk").first()
    star = User.objects.order_by("-follower_count", "pk").first()
    thread = Post.objects.order_by("-reply_count", "pk").first()
    tag = PostHashtag.objects.values("tag").annotate(n=Count("id")).order_by("-n")[0]["tag"]
    assert viewer is not None and star is not None and thread is not None
    return {
        "viewer": viewer,
        "variables": {"name": star.username, "post": global_id("Post", thread.pk), "tag": tag},
        "star": {"username": star.username, "followers": star.follower_count},
        "posts_of_star": Post.objects.filter(author=star).count(),
        "thread_replies": thread.reply_count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    common.setup_django(args.database)

    from django.test import Client

    from social.services.tokens import access_token_issue

    subjects = _subjects()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=subjects['viewer'])}")

    def run(query: str) -> None:
        variables = {k: v for k, v in subjects["variables"].items() if f"${k}" in query}
        body = json.dumps({"query": query, "variables": variables})
        answer = client.post("/graphql", body, content_type="application/json").json()
        assert "errors" not in answer, answer["errors"]

    report: dict[str, Any] = {
        "database": args.database.rsplit("/", 1)[-1],
        "star": subjects["star"],
        "posts_of_star": subjects["posts_of_star"],
        "thread_replies": subjects["thread_replies"],
        "screens": {},
    }
    for name, query in SCREENS.items():
        for _ in range(10):
            run(query)
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            run(query)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        report["screens"][name] = {
            "p50_ms": round(statistics.median(times), 2),
            "p90_ms": round(times[int(len(times) * 0.9)], 2),
        }
        print(f"{name:14s} {report['screens'][name]}", flush=True)
    common.write_report(args.out, report)


if __name__ == "__main__":
    main()
