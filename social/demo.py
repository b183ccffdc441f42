"""The small demo set that `make run` loads into an empty database.

The seed code writes a month of history; then a few fresh interactions go through the
services, as real users' would, so each demo account signs in to a home feed, threads,
and unread notifications (follows, likes, replies, mentions).
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from social.models import Post, User
from social.seed import SeedConfig, SeedResult, seed
from social.services.follows import follow_create
from social.services.likes import like_create
from social.services.posts import post_create

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - printed on start
DEMO_USERNAMES = ("alice", "bob", "carol")
# Opens /admin/; created and printed only with DEBUG on (never a known password in production).
DEMO_STAFF_USERNAME = "admin"
DEMO_CONFIG = SeedConfig(
    users=30,
    posts_per_user=5,
    follows_per_user=6,
    likes_per_user=8,
    seed=7,
    named=DEMO_USERNAMES,
    password=DEMO_PASSWORD,
    progress=False,
)
# Newcomers who join "today": they follow, like, reply to and mention the demo users.
VISITORS = ("dave", "erin", "frank", "grace")


@dataclass
class DemoResult:
    seeded: SeedResult
    staff: bool


def load_demo_data() -> DemoResult:
    seeded = seed(DEMO_CONFIG)
    demo = list(User.objects.filter(username__in=DEMO_USERNAMES).order_by("pk"))
    visitors = [_visitor(name) for name in VISITORS]
    for user in demo:
        _fresh_activity(user, demo=demo, visitors=visitors)
    staff = bool(settings.DEBUG)
    if staff:
        _create_staff()
    return DemoResult(seeded=seeded, staff=staff)


def _fresh_activity(user: User, *, demo: list[User], visitors: list[User]) -> None:
    """Today's posts and reactions around `user`, each through its service."""
    others = [other for other in demo if other.pk != user.pk]
    # The demo users follow each other, so their feeds show each other's fresh posts.
    for other in others:
        follow_create(follower=other, followee=user)
    post = post_create(
        author=user,
        body=f"Good morning! Trying out the live notifications, say hi to @{others[0].username}",
    )
    for visitor in visitors:
        follow_create(follower=visitor, followee=user)
        like_create(user=visitor, post=post)
    post_create(author=others[0], body=f"Hi @{user.username}, welcome back!", reply_to=post)
    post_create(author=visitors[0], body=f"@{user.username} nice to see you here #graphql")
    thread_root = Post.objects.filter(author=user, reply_to=None).order_by("created_at").first()
    if thread_root is not None:
        post_create(author=visitors[1], body="Agreed, and still true today.", reply_to=thread_root)


def _visitor(name: str) -> User:
    """A newcomer with a confirmed address: registering would print a confirmation mail
    for each into `make run`'s terminal, above the demo accounts."""
    return User.objects.create_user(
        username=name,
        email=f"{name}@example.com",
        password=DEMO_PASSWORD,
        display_name=name.capitalize(),
        email_verified_at=timezone.now(),
    )


def _create_staff() -> None:
    with transaction.atomic():
        staff, created = User.objects.get_or_create(
            username=DEMO_STAFF_USERNAME,
            defaults={"email": f"{DEMO_STAFF_USERNAME}@example.com", "display_name": "Admin"},
        )
        if created:
            staff.is_staff = staff.is_superuser = True
            staff.set_password(DEMO_PASSWORD)
            staff.save()
