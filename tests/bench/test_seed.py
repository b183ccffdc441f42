"""The seed command: exact counters, rows consistent with bodies, same seed same data."""

import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from social.demo import DEMO_PASSWORD, DEMO_USERNAMES, VISITORS, load_demo_data
from social.models import Follow, Like, Post, PostHashtag, PostMention, User
from social.seed import SeedConfig, seed

pytestmark = pytest.mark.django_db

END = datetime(2026, 1, 1, tzinfo=UTC)
TAG = re.compile(r"(?<!\w)#([A-Za-z0-9_]+)")
MENTION = re.compile(r"(?<!\w)@([A-Za-z0-9_]{3,30})")


def _snapshot() -> dict[str, Any]:
    names = dict(User.objects.values_list("pk", "username"))
    posts = list(Post.objects.order_by("created_at", "pk").values_list("pk", "author_id", "body"))
    index = {pk: i for i, (pk, _, _) in enumerate(posts)}
    return {
        "posts": [(names[a], body) for _, a, body in posts],
        "follows": sorted(
            (names[a], names[b]) for a, b in Follow.objects.values_list("follower", "followee")
        ),
        "likes": sorted((names[u], index[p]) for u, p in Like.objects.values_list("user", "post")),
        "replies": sorted(
            (index[p], index[r])
            for p, r in Post.objects.filter(reply_to__isnull=False).values_list("pk", "reply_to")
        ),
    }


def test_seed_counters_are_exact() -> None:
    call_command("seed", users=20, posts_per_user=3, follows_per_user=5, seed=3, no_progress=True)
    assert User.objects.count() == 20
    assert Post.objects.count() == 60
    followers = Counter(Follow.objects.values_list("followee", flat=True))
    following = Counter(Follow.objects.values_list("follower", flat=True))
    authored = Counter(Post.objects.values_list("author", flat=True))
    for user in User.objects.all():
        assert user.follower_count == followers[user.pk]
        assert user.following_count == following[user.pk] == 5
        assert user.post_count == authored[user.pk] == 3
    likes = Counter(Like.objects.values_list("post", flat=True))
    replies = Counter(Post.objects.exclude(reply_to=None).values_list("reply_to", flat=True))
    assert likes and replies
    assert set(Post.objects.filter(is_reply=True).values_list("pk", flat=True)) == set(
        Post.objects.exclude(reply_to=None).values_list("pk", flat=True)
    )
    for post in Post.objects.all():
        assert post.like_count == likes[post.pk]
        assert post.reply_count == replies[post.pk]


def test_seed_skews_followers_toward_a_few_users() -> None:
    seed(SeedConfig(users=200, posts_per_user=0, follows_per_user=10, progress=False, end=END))
    counts = sorted(User.objects.values_list("follower_count", flat=True), reverse=True)
    assert counts[0] > 10 * (sum(counts) / len(counts))


def test_seed_tags_and_mentions_match_bodies() -> None:
    seed(SeedConfig(users=30, posts_per_user=10, follows_per_user=3, seed=5, progress=False))
    usernames = {u.lower(): pk for pk, u in User.objects.values_list("pk", "username")}
    tags = {p: [] for p in Post.objects.values_list("pk", flat=True)}  # type: dict[int, list[str]]
    for post_id, tag in PostHashtag.objects.order_by("post", "position").values_list("post", "tag"):
        tags[post_id].append(tag)
    mentions = {p: [] for p in tags}  # type: dict[int, list[int]]
    for post_id, user_id in PostMention.objects.order_by("post", "position").values_list(
        "post", "user"
    ):
        mentions[post_id].append(user_id)
    assert any(tags.values()) and any(mentions.values())
    for post in Post.objects.all():
        expected_tags = list(dict.fromkeys(t.lower() for t in TAG.findall(post.body)))
        named = [usernames[m.lower()] for m in MENTION.findall(post.body) if m.lower() in usernames]
        assert tags[post.pk] == expected_tags, post.body
        assert mentions[post.pk] == list(dict.fromkeys(named)), post.body
        assert 1 <= len(post.body) <= 500
    for link in PostHashtag.objects.select_related("post"):
        assert link.created_at == link.post.created_at


def test_same_seed_gives_same_data() -> None:
    config = SeedConfig(users=15, posts_per_user=4, follows_per_user=4, seed=9, progress=False)
    seed(config)
    first = _snapshot()
    User.objects.all().delete()
    seed(config)
    assert _snapshot() == first
    User.objects.all().delete()
    seed(SeedConfig(users=15, posts_per_user=4, follows_per_user=4, seed=10, progress=False))
    assert _snapshot() != first


def test_seeded_users_share_one_password_hash() -> None:
    seed(
        SeedConfig(
            users=5, posts_per_user=1, follows_per_user=1, password="pw-1234567", progress=False
        )
    )
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert check_password("pw-1234567", hashes.pop())


def test_demo_data_keeps_the_demo_users() -> None:
    load_demo_data()
    alice = User.objects.get(username="alice")
    assert check_password(DEMO_PASSWORD, alice.password)
    assert set(DEMO_USERNAMES) <= set(User.objects.values_list("username", flat=True))
    assert alice.follower_count > 0 and alice.post_count >= 5
    # alice's home feed has something in it: she follows people who post.
    assert Post.objects.filter(author__follower_links__follower=alice).exists()


def test_demo_data_command_prints_how_to_sign_in(
    capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    settings.DEBUG = True  # as `make run`: passwords are printed with DEBUG only
    call_command("demo_data")
    call_command("demo_data")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and "already has users" in out
    assert User.objects.filter(is_staff=False).count() == 30 + len(VISITORS)  # loaded once
