"""Sign-in with a Django session (admin, GraphiQL, cookie sockets)."""

from typing import Any

from django.contrib.auth.backends import ModelBackend


class SocialModelBackend(ModelBackend):
    """Django's backend, which also refuses a suspended account: at sign-in, and on every
    request of a session it already holds (Django asks the backend on each load)."""

    def user_can_authenticate(self, user: Any) -> bool:
        return super().user_can_authenticate(user) and getattr(user, "suspended_at", None) is None
