"""Users as models, for the services that act on them (follow, unfollow).

What a viewer reads is a `UserView` from social/reads/; these return the model instance a
service needs, after the same visibility rules (social/visibility.py)."""

from social.models import User
from social.visibility import users_q


def visible_user(*, user_id: int, viewer_id: int | None) -> User | None:
    """The user, when the viewer may see them (an action on a hidden user is NOT_FOUND)."""
    return User.objects.filter(users_q(viewer_id=viewer_id), pk=user_id).first()
