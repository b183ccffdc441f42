"""Deterministic bulk seeding: users, follows, posts, replies, likes, #tags and @mentions.

The same seed gives the same rows (and, in an empty database, the same ids). Popularity
is skewed like a real network: follow and like targets are drawn from a Zipf-like
distribution over users, so a few users have many followers and most have few.

Rows go in with bulk inserts in batches; counters are computed afterwards in SQL from
the rows themselves, so they are exact whatever the generator did.
"""

from __future__ import annotations

import contextlib
import random
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from tqdm import tqdm

from social.models import Follow, Like, Post, PostHashtag, PostMention, User

BATCH_SIZE = 5000
SEED_PASSWORD = "seed-password-123"  # noqa: S105 - public benchmark data
# How strongly popularity concentrates: weight of the user of rank r is 1 / (r + 1) ** s.
ZIPF_EXPONENT = 1.0
REPLY_SHARE = 0.2
HASHTAG_SHARE = 0.35
MENTION_SHARE = 0.2
SPAN = timedelta(days=30)

WORDS = (  # noqa: SIM905 - a sentence reads better than a list
    "the a morning coffee code review ship deploy bug fix idea today week weekend music "
    "book walk city rain sun train late early team lunch build test green red blue small "
    "big quiet loud new old good great fine odd really maybe never always again"
).split()
# Tags are lower-case letters only, so every parser reads them the same way.
TAGS = (  # noqa: SIM905 - a sentence reads better than a list
    "python django graphql postgres redis rust golang music books coffee running travel "
    "photography design startup ai data web mobile cloud security opensource gaming art "
    "food climate science space history football cinema"
).split()

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class SeedConfig:
    users: int
    posts_per_user: int
    follows_per_user: int
    seed: int = 1
    likes_per_user: int = 10
    # Names of the first users (the demo's alice/bob/carol); the rest are prefix + number.
    named: Sequence[str] = ()
    prefix: str = "user"
    password: str = SEED_PASSWORD
    # Newest post time; posts spread over SPAN before it.
    end: datetime | None = None
    progress: bool = True


@dataclass
class SeedResult:
    users: int = 0
    follows: int = 0
    posts: int = 0
    replies: int = 0
    likes: int = 0
    hashtags: int = 0
    mentions: int = 0
    user_ids: list[int] = field(default_factory=list)


def _zipf_cum_weights(n: int) -> list[float]:
    return list(accumulate(1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(n)))


def _draw(rng: random.Random, cum_weights: list[float]) -> int:
    # random.choices(k=1) re-validates its arguments on every call; bisect is several times faster.
    return bisect_left(cum_weights, rng.random() * cum_weights[-1])


def _batches(items: Sequence[M]) -> Iterator[Sequence[M]]:
    for start in range(0, len(items), BATCH_SIZE):
        yield items[start : start + BATCH_SIZE]


def _insert(model: type[M], rows: list[M], label: str, progress: bool) -> list[M]:
    """bulk_create in batches with a progress bar; returns rows with primary keys set."""
    done: list[M] = []
    with tqdm(total=len(rows), desc=label, unit="row", disable=not progress, leave=True) as bar:
        for chunk in _batches(rows):
            done.extend(model._default_manager.bulk_create(chunk, batch_size=BATCH_SIZE))
            bar.update(len(chunk))
    return done


@contextlib.contextmanager
def _keep_given_timestamps(*fields: models.DateTimeField) -> Iterator[None]:
    """auto_now_add would overwrite the generated times; switch it off while inserting."""
    saved = [f.auto_now_add for f in fields]
    try:
        for f in fields:
            f.auto_now_add = False
        yield
    finally:
        for f, value in zip(fields, saved, strict=True):
            f.auto_now_add = value


@contextlib.contextmanager
def _counter_triggers_paused() -> Iterator[None]:
    """On PostgreSQL, the counter triggers skip the rows of this block, which recounts at its
    end: a trigger per bulk row costs more than one recount. LOCAL: a rollback undoes it too."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL social.counters_paused = 'on'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL social.counters_paused = 'off'")


def _date_field(model: type[models.Model], name: str) -> models.DateTimeField:
    f = model._meta.get_field(name)
    assert isinstance(f, models.DateTimeField)
    return f


def _body(
    rng: random.Random, usernames: Sequence[str], mention_cum: list[float]
) -> tuple[str, list[str], list[int]]:
    """A post body and, in order of appearance, its distinct tags and mentioned user indexes."""
    words = rng.choices(WORDS, k=rng.randint(4, 16))
    tags: list[str] = []
    mentions: list[int] = []
    if rng.random() < HASHTAG_SHARE:
        for _ in range(rng.randint(1, 3)):
            # Skewed: a few tags are everywhere, like real trending tags.
            tag = TAGS[min(int(rng.paretovariate(1.2)) - 1, len(TAGS) - 1)]
            if tag not in tags:
                tags.append(tag)
                words.insert(rng.randint(0, len(words)), f"#{tag}")
    if rng.random() < MENTION_SHARE:
        for _ in range(rng.randint(1, 2)):
            who = _draw(rng, mention_cum)
            if who not in mentions:
                mentions.append(who)
                words.insert(rng.randint(0, len(words)), f"@{usernames[who]}")
    # Positions follow the order in the final text, which insertions may have shuffled.
    tags.sort(key=lambda t: words.index(f"#{t}"))
    mentions.sort(key=lambda m: words.index(f"@{usernames[m]}"))
    return " ".join(words), tags, mentions


def recount() -> None:
    """Sets every stored counter from the rows it counts (exact after bulk inserts)."""

    def count_of(model: type[models.Model], fk: str, **filters: object) -> Coalesce:
        counted = (
            model._default_manager.filter(**{fk: OuterRef("pk")}, **filters)
            .order_by()
            .values(fk)
            .annotate(n=Count("*"))
            .values("n")
        )
        return Coalesce(Subquery(counted), 0)

    # As the counter triggers define them: a deactivated or suspended user's rows count
    # nowhere (social/migrations/0011).
    User.objects.update(
        follower_count=count_of(
            Follow, "followee", follower__is_active=True, follower__suspended_at__isnull=True
        ),
        following_count=count_of(
            Follow, "follower", followee__is_active=True, followee__suspended_at__isnull=True
        ),
        post_count=count_of(Post, "author"),
    )
    Post.objects.update(
        like_count=count_of(Like, "post", user__is_active=True, user__suspended_at__isnull=True),
        reply_count=count_of(
            Post, "reply_to", author__is_active=True, author__suspended_at__isnull=True
        ),
    )


def seed(config: SeedConfig) -> SeedResult:
    """Inserts a generated network in one transaction and recounts the counters."""
    rng = random.Random(config.seed)  # noqa: S311 - reproducible data, not secrets
    progress = config.progress
    end = config.end or timezone.now()
    n = config.users
    if n < 1:
        raise ValueError("users must be at least 1")
    usernames = list(config.named[:n]) + [
        f"{config.prefix}{i:05d}" for i in range(len(config.named[:n]), n)
    ]
    cum = _zipf_cum_weights(n)
    # Ranks are shuffled for the generated users so user00000 is not always the star,
    # but named users keep the top ranks: the demo's alice is someone worth following.
    popularity = list(range(n))
    tail = popularity[len(config.named) :]
    rng.shuffle(tail)
    popularity[len(config.named) :] = tail
    by_rank = sorted(range(n), key=lambda i: popularity[i])  # user index of each rank

    # One hash for everyone: hashing is deliberately slow, the seeded passwords are all equal.
    password_hash = make_password(config.password)
    joined = end - SPAN - timedelta(days=1)
    result = SeedResult()

    with (
        transaction.atomic(),
        _keep_given_timestamps(
            _date_field(Follow, "created_at"),
            _date_field(Post, "created_at"),
            _date_field(Like, "created_at"),
        ),
        _counter_triggers_paused(),
    ):
        users = _insert(
            User,
            [
                User(
                    username=name,
                    email=f"{name.lower()}@example.com",
                    display_name=name.capitalize(),
                    bio=" ".join(rng.choices(WORDS, k=rng.randint(0, 8))),
                    password=password_hash,
                    date_joined=joined,
                )
                for name in usernames
            ],
            "users",
            progress,
        )
        ids = [u.pk for u in users]
        result.users = n
        result.user_ids = ids

        follows: list[Follow] = []
        k = min(config.follows_per_user, n - 1)
        for i in range(n):
            chosen: set[int] = set()
            # Rejection sampling without replacement; popular users are drawn early and often.
            attempts = 0
            while len(chosen) < k and attempts < k * 20:
                attempts += 1
                j = by_rank[_draw(rng, cum)]
                if j != i:
                    chosen.add(j)
            for j in sorted(chosen):
                follows.append(
                    Follow(
                        follower_id=ids[i],
                        followee_id=ids[j],
                        created_at=joined + timedelta(seconds=rng.randint(0, 86400)),
                    )
                )
        _insert(Follow, follows, "follows", progress)
        result.follows = len(follows)

        # Each user writes exactly posts_per_user posts; their order in time is shuffled.
        authors = [i for i in range(n) for _ in range(config.posts_per_user)]
        rng.shuffle(authors)
        total = len(authors)
        step = SPAN / max(total, 1)
        start = end - SPAN
        mention_cum = cum  # mentions favour popular users too
        posts: list[Post] = []
        tags_of: list[list[str]] = []
        mentions_of: list[list[int]] = []
        reply_parent: list[int | None] = []
        for index, author in enumerate(authors):
            body, tags, mentions = _body(rng, usernames, mention_cum)
            parent = rng.randrange(index) if index and rng.random() < REPLY_SHARE else None
            reply_parent.append(parent)
            posts.append(Post(author_id=ids[author], body=body, created_at=start + step * index))
            tags_of.append(tags)
            mentions_of.append(mentions)
        # Parents are inserted before their replies (they are earlier), but ids are only
        # known after insert: insert in order, then set reply_to with one UPDATE per batch.
        posts = _insert(Post, posts, "posts", progress)
        replies = [
            (posts[i].pk, posts[parent].pk)
            for i, parent in enumerate(reply_parent)
            if parent is not None
        ]
        _set_reply_to(replies, progress)
        result.posts = total
        result.replies = len(replies)

        hashtags = [
            PostHashtag(post_id=post.pk, tag=tag, position=pos, created_at=post.created_at)
            for post, tags in zip(posts, tags_of, strict=True)
            for pos, tag in enumerate(tags)
        ]
        _insert(PostHashtag, hashtags, "hashtags", progress)
        result.hashtags = len(hashtags)
        mention_rows = [
            PostMention(post_id=post.pk, user_id=ids[who], position=pos)
            for post, whos in zip(posts, mentions_of, strict=True)
            for pos, who in enumerate(whos)
        ]
        _insert(PostMention, mention_rows, "mentions", progress)
        result.mentions = len(mention_rows)

        # Likes favour the posts of popular authors: draw an author by popularity, then one
        # of their posts.
        posts_by_author: list[list[int]] = [[] for _ in range(n)]
        for index, author in enumerate(authors):
            posts_by_author[author].append(index)
        likes: list[Like] = []
        if total:
            for i in range(n):
                liked: set[int] = set()
                for _ in range(config.likes_per_user * 2):
                    if len(liked) >= config.likes_per_user:
                        break
                    own = posts_by_author[by_rank[_draw(rng, cum)]]
                    if own:
                        liked.add(rng.choice(own))
                for index in sorted(liked):
                    likes.append(
                        Like(
                            user_id=ids[i],
                            post_id=posts[index].pk,
                            created_at=posts[index].created_at + timedelta(minutes=5),
                        )
                    )
        _insert(Like, likes, "likes", progress)
        result.likes = len(likes)

        with tqdm(total=1, desc="counters", disable=not progress) as bar:
            # The recount's correlated subqueries, planned for tables PostgreSQL believes
            # empty, scanned every user once per user (half an hour at 10,000 users).
            _analyze()
            recount()
            bar.update(1)
    # Fresh planner statistics, so the first benchmark does not plan for an empty table.
    _analyze()
    return result


def _analyze() -> None:
    """Planner statistics of the seeded tables (PostgreSQL; inside the seed's transaction
    too, where ANALYZE counts the transaction's own rows)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (User, Follow, Post, Like, PostHashtag, PostMention):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _set_reply_to(pairs: Iterable[tuple[int, int]], progress: bool) -> None:
    """reply_to for (reply id, parent id) pairs: one UPDATE ... FROM (VALUES ...) per batch."""
    pairs = list(pairs)
    table = connection.ops.quote_name(Post._meta.db_table)
    with (
        tqdm(total=len(pairs), desc="replies", unit="row", disable=not progress) as bar,
        connection.cursor() as cursor,
    ):
        for start in range(0, len(pairs), BATCH_SIZE):
            chunk = pairs[start : start + BATCH_SIZE]
            values = ", ".join(["(%s, %s)"] * len(chunk))
            # Values are bound parameters (ints); only the placeholders are formatted in.
            cursor.execute(
                f"UPDATE {table} SET reply_to_id = v.column2, is_reply = TRUE "  # noqa: S608
                f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
                [x for pair in chunk for x in pair],
            )
            bar.update(len(chunk))
