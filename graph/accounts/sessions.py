"""The viewer's sessions (signed-in devices) and signing one out."""

from datetime import datetime
from typing import cast

import strawberry
from strawberry import relay

from graph.context import Info
from graph.errors import payload_errors
from graph.ids import pk_of
from graph.node import node_loader
from graph.permissions import require_viewer, require_viewer_id
from graph.types.common import OkPayload
from social.models import Session
from social.services.sessions import MAX_SESSIONS_LISTED, session_revoke, user_sessions


@strawberry.type(
    name="Session",
    description=(
        "One sign-in: the refresh tokens issued from one login, and the access tokens made "
        "from them."
    ),
)
class SessionType(relay.Node):
    pk: relay.NodeID[int]
    created_at: datetime
    last_used_at: datetime
    user_agent: str = strawberry.field(
        description="The User-Agent header of the sign-in, as sent (empty when none)."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, (Session, cls))

    @strawberry.field(description="The session that made this request.")
    def current(self, root: Session, info: Info) -> bool:
        return str(root.key) == info.context.session_key


@node_loader("Session")
def _load_session(info: Info, pk: int) -> SessionType | None:
    if info.context.viewer_id is None:
        return None
    return cast(
        SessionType | None, user_sessions(user_id=info.context.viewer_id).filter(pk=pk).first()
    )


@strawberry.type
class SessionQuery:
    @strawberry.field(
        description=(
            "The viewer's signed-in devices, one per sign-in, most recently used first. "
            "Requires sign-in."
        )
    )
    def sessions(self, info: Info) -> list[SessionType]:
        sessions = user_sessions(user_id=require_viewer_id(info))[:MAX_SESSIONS_LISTED]
        return cast(list[SessionType], list(sessions))


@strawberry.type
class SessionMutation:
    @strawberry.mutation(description="Signs that session out on every device and socket.")
    def revoke_session(self, info: Info, id: strawberry.ID) -> OkPayload:
        viewer = require_viewer(info)
        payload = OkPayload()
        with payload_errors(payload):
            session_revoke(user=viewer, session_id=pk_of(id, "Session") or 0)
            payload.ok = True
        return payload
