"""Posts as models, for the services that act on them (like, reply, edit, delete).

What a viewer reads is a `PostView` from social/reads/; these return the model instance a
service needs, after the same visibility rules (social/visibility.py)."""

from social.models import Post
from social.visibility import posts_q


def visible_post(*, post_id: int, viewer_id: int | None, blocks: bool = True) -> Post | None:
    """The post, when the viewer may see it (an action on a hidden post is NOT_FOUND).
    `blocks=False`: also a post hidden only by a block, whose service answers BLOCKED."""
    return Post.objects.filter(posts_q(viewer_id=viewer_id, blocks=blocks), pk=post_id).first()
