"""Who may call what: sign-in checks shared by resolvers."""

from graph.context import Info
from graph.errors import unauthenticated
from social.models import User


def require_viewer(info: Info) -> User:
    """The signed-in user, or an UNAUTHENTICATED error."""
    viewer = info.context.viewer
    if viewer is None:
        raise unauthenticated()
    return viewer


def require_viewer_id(info: Info) -> int:
    """The signed-in user's id without loading the user, or UNAUTHENTICATED."""
    if info.context.viewer_id is None:
        raise unauthenticated()
    return info.context.viewer_id
