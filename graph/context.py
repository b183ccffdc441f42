"""The request context every resolver sees: who the viewer is, resolved lazily."""

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from strawberry.types import Info as StrawberryInfo

from social.models import User


@dataclass
class Context:
    request: HttpRequest | None = None
    response: HttpResponse | None = None
    # Known from the access token without a query; None when signed out.
    viewer_id: int | None = None
    # The signed-in session of a bearer token (None for a cookie) and the token's expiry.
    session_key: str | None = None
    token_expires_at: float | None = None
    # Set when the request presented credentials that are not valid.
    auth_error: str | None = None
    _viewer: User | None = field(default=None, repr=False)
    _viewer_loaded: bool = field(default=False, repr=False)
    # WebSocket only: the socket (realtime/transport.py), the `connection_init` payload,
    # and the record a subscription being subscribed registers (realtime/delivery.py).
    ws: Any = None
    connection_params: dict[str, Any] | None = None
    live: Any = None
    # The hash of the document when the compiled path may run it (graph/compiled/).
    compiled_document: str | None = None
    # Per-request caches (dataloaders, prefetched flags) keyed by name.
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def viewer(self) -> User | None:
        if not self._viewer_loaded:
            if self.viewer_id is not None:
                self._viewer = User.objects.filter(
                    pk=self.viewer_id, is_active=True, suspended_at__isnull=True
                ).first()
            self._viewer_loaded = True
        return self._viewer

    def set_viewer(self, user: User | None) -> None:
        self._viewer = user
        self._viewer_loaded = True
        self.viewer_id = user.pk if user is not None else None


Info = StrawberryInfo[Context, None]
