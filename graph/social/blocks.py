"""Blocks in the API: blockUser, unblockUser, blockedUsers (User.viewerBlocks and
User.blocksViewer are fields of graph/types/users.py)."""

from collections.abc import Callable

import strawberry
import strawberry_django

from graph.accounts.types import UserPayload
from graph.context import Info
from graph.errors import payload_errors
from graph.ids import pk_of
from graph.permissions import require_viewer, require_viewer_id
from graph.types.users import UserConnection, user_connection
from social.errors import ErrorCode, ValidationFailed
from social.models import User
from social.reads import blocks as block_reads
from social.reads.users import user_view
from social.selectors.users import visible_user
from social.services import blocks


def _on_user(info: Info, user_id: str, act: Callable[[User, User], object]) -> UserPayload:
    """`act(viewer, user)` on the user `userId` names; the payload shows the user after it."""
    viewer = require_viewer(info)
    payload = UserPayload()
    with payload_errors(payload):
        pk = pk_of(user_id, "User")
        user = None if pk is None else visible_user(user_id=pk, viewer_id=viewer.pk)
        if user is None:
            raise ValidationFailed(
                field="userId", code=ErrorCode.NOT_FOUND, message="No such user."
            )
        act(viewer, user)
        payload.user = user_view(user_id=user.pk, viewer_id=viewer.pk)  # type: ignore[assignment]
    return payload


@strawberry.type
class BlockQuery:
    @strawberry_django.field(
        description="Users the viewer blocked, most recent first. Requires sign-in."
    )
    def blocked_users(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> UserConnection:
        viewer_id = require_viewer_id(info)
        rows = block_reads.blocked_rows(viewer_id=viewer_id)
        return user_connection(
            rows, viewer_id, kind="blocked", first=first, after=after, keys=block_reads.BLOCK_ORDER
        )


@strawberry.type
class BlockMutation:
    @strawberry.mutation(description="Removes follows and follow requests both ways. Idempotent.")
    def block_user(self, info: Info, user_id: strawberry.ID) -> UserPayload:
        return _on_user(
            info, user_id, lambda viewer, user: blocks.block_create(blocker=viewer, blocked=user)
        )

    @strawberry.mutation
    def unblock_user(self, info: Info, user_id: strawberry.ID) -> UserPayload:
        return _on_user(
            info, user_id, lambda viewer, user: blocks.block_delete(blocker=viewer, blocked=user)
        )
