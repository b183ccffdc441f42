"""What a viewer may see, as SQL conditions for the compiled path: the rules that
social/selectors apply today, written once here. The differential test
(tests/graph/compiled) runs every compiled document against the normal executor, so a
rule that changes there and not here fails it.

Each function takes the SQL alias of a row and returns a condition on it.
"""


def visible_author(user: str) -> str:
    """posts_visible: a post shows only while its author's account is active."""
    return f"{user}.is_active"


def visible_user(user: str) -> str:
    """users_visible (user, me, node) and the other side of a follow: active accounts only."""
    return f"{user}.is_active"


def top_level_post(post: str) -> str:
    """public_feed: no replies, not even one whose parent was deleted."""
    return f"{post}.reply_to_id IS NULL AND NOT {post}.is_reply"


# Shown without a visibility condition, as the selectors do today: a post's mentions
# (post_mentions), its parent (`replyTo`, joined by select_related) and a notification's
# actor and post (notifications/selectors.py prefetches them unfiltered).
UNFILTERED = ("mentions", "replyTo", "Notification.actor", "Notification.post")
