"""Data and helpers shared by the compiled-path tests (PostgreSQL only)."""

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from graph.compiled import plan_cache
from social.models import FollowRequest, Mute, Post, PostHashtag, User
from social.services.tokens import access_token_issue
from tests.factories import make_follow, make_like, make_post, make_user

Run = Callable[..., dict[str, Any]]


@pytest.fixture(autouse=True)
def _postgresql_only(db: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("The compiled path is PostgreSQL's; SQLite always uses the normal executor.")
    plan_cache.clear()


@pytest.fixture
def run(client: Client, settings: Any) -> Run:
    """POSTs a document through the view, compiled (the default) or with the normal executor."""

    def call(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        viewer: User | None = None,
        compiled: bool = True,
    ) -> dict[str, Any]:
        settings.GRAPHQL_COMPILED = compiled
        headers = {}
        if viewer is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {access_token_issue(user=viewer)}"
        response = client.post(
            "/graphql",
            json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,  # type: ignore[arg-type]
        )
        assert response.status_code == 200, response.content
        return response.json()

    return call


@pytest.fixture
def both(run: Run) -> Callable[..., dict[str, Any]]:
    """Runs a document both ways and asserts the parsed responses are equal."""

    def call(
        query: str, variables: dict[str, Any] | None = None, *, viewer: User | None = None
    ) -> dict[str, Any]:
        normal = run(query, variables, viewer=viewer, compiled=False)
        compiled = run(query, variables, viewer=viewer, compiled=True)
        assert compiled == normal, f"{query}\n{variables}\nviewer={viewer}"
        return compiled

    return call


def _image(pk: int, alt: str) -> dict[str, Any]:
    """Media.as_json of an upload (its files are not needed to read it)."""
    stem = f"{pk:032x}"
    return {
        "id": pk,
        "file": f"m/{stem[:2]}/{stem}.webp",
        "thumb": f"m/{stem[:2]}/{stem}-t.webp",
        "width": 640 + pk,
        "height": 480,
        "mime": "image/webp",
        "alt": alt,
    }


class World:
    """Seeded users, posts, likes, follows, replies, mentions, tags and an inactive user."""

    def __init__(self) -> None:
        self.alice = make_user("alice", display_name='Alice "A" \\ O\'Brien 🎉')
        self.bob = make_user("bob", display_name="Bob'); DROP TABLE social_post;--")
        self.carol = make_user(
            "carol", bio='Line\nbreak\ttab \\" }{ ][', avatar_url="https://x.test/c.png"
        )
        self.dave = make_user("dave")
        self.erin = make_user("erin")
        for follower, followee in [
            (self.alice, self.bob),
            (self.alice, self.carol),
            (self.alice, self.dave),
            (self.bob, self.alice),
            (self.carol, self.alice),
            (self.dave, self.alice),
            (self.erin, self.alice),
            (self.erin, self.bob),
            (self.bob, self.dave),
        ]:
            make_follow(follower, followee)
        self.posts: list[Post] = []
        bodies = [
            (self.alice, "Hello #world from @bob and @dave"),
            (self.bob, "Quotes ' \" and \\ backslashes #Meta #world"),
            (self.carol, "Emoji 🎉🚀 #fun @alice"),
            (self.dave, "Dave is leaving #world @alice"),
            (self.erin, "'); DROP TABLE social_post; -- \"} #sql"),
            (self.alice, "Control \x01\x1f chars and </script> #fun"),
            (self.bob, "Plain text post"),
            (self.carol, "@bob @carol @erin #a #b #c"),
        ]
        for author, body in bodies:
            self.posts.append(make_post(author, body))
        top = self.posts
        self.replies = [
            make_post(self.bob, "Reply to alice #world", reply_to=top[0]),
            make_post(self.carol, "Another reply @alice", reply_to=top[0]),
            make_post(self.alice, "Reply to dave", reply_to=top[3]),
            make_post(self.dave, "Dave replies", reply_to=top[0]),
            make_post(self.erin, "Nested reply", reply_to=top[1]),
        ]
        for _ in range(3):
            self.posts.append(make_post(self.erin, "Filler #fun"))
        for user, post in [
            (self.bob, top[0]),
            (self.carol, top[0]),
            (self.alice, top[1]),
            (self.alice, top[2]),
            (self.erin, top[0]),
            (self.dave, top[0]),
            (self.alice, self.replies[0]),
        ]:
            make_like(user, post)
        # A whole second (isoformat drops zero microseconds), a tie on created_at (the id
        # decides the order), and an edit.
        Post.objects.filter(pk=top[6].pk).update(
            created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        )
        Post.objects.filter(pk=top[5].pk).update(
            created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        )
        # The tag rows keep a copy of their post's date (hashtag_feed_idx sorts on it).
        for post in (top[5], top[6]):
            PostHashtag.objects.filter(post_id=post.pk).update(
                created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
            )
        Post.objects.filter(pk=top[2].pk).update(
            edited_at=datetime(2026, 5, 6, 7, 8, 9, 10, tzinfo=UTC)
        )
        # What the visibility rules hide once dave and frank are inactive: a mention of
        # dave, replies to his post (replyTo reads null), and frank's notifications to
        # alice, bob and carol (left out of the list and of node).
        self.frank = make_user("frank")
        make_follow(self.frank, self.alice)
        make_like(self.frank, top[1])
        self.replies += [
            make_post(self.frank, "Frank mentions @carol and @alice"),
            make_post(self.erin, "Ping @dave and @bob #world"),
            make_post(self.carol, "Carol answers dave #fun", reply_to=top[3]),
            make_post(self.frank, "Frank answers alice", reply_to=top[0]),
        ]
        User.objects.filter(pk__in=[self.dave.pk, self.frank.pk]).update(is_active=False)
        # Images on posts (in order, with awkward alt text) and an uploaded avatar.
        Post.objects.filter(pk=top[0].pk).update(
            has_media=True, media_json=[_image(1, 'Alt "quoted" \\ 🎉'), _image(2, "")]
        )
        Post.objects.filter(pk=top[3].pk).update(has_media=True, media_json=[_image(3, "x")])
        User.objects.filter(pk=self.erin.pk).update(avatar_json=_image(4, "Erin"))
        # The flags a profile's buttons read: mutes (one ended), a request to follow a locked
        # account that follows alice, a verified email.
        Mute.objects.create(muter=self.bob, muted=self.carol)
        Mute.objects.create(
            muter=self.alice, muted=self.erin, expires_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
        self.gina = make_user("gina", is_locked=True)
        make_follow(self.gina, self.alice)
        FollowRequest.objects.create(requester=self.erin, target=self.gina)
        User.objects.filter(pk=self.alice.pk).update(
            email_verified_at=datetime(2026, 1, 1, tzinfo=UTC)
        )
        self.viewers: list[User | None] = [None, self.alice, self.bob, self.erin]


@pytest.fixture
def world(db: None) -> World:
    return World()
