"""Mutes: muteUser, unmuteUser and mutedUsers (User.viewerMutes is on graph/types/users.py)."""

import strawberry
import strawberry_django

from graph.accounts.types import UserPayload
from graph.context import Info
from graph.errors import payload_errors
from graph.ids import pk_of
from graph.pagination import keyset_page
from graph.permissions import require_viewer, require_viewer_id
from graph.types.users import UserConnection
from social.errors import ErrorCode, ValidationFailed
from social.models import User
from social.reads import users as user_reads
from social.selectors.users import visible_user
from social.services import mutes


@strawberry.input
class MuteUserInput:
    user_id: strawberry.ID
    duration_seconds: int | None = strawberry.field(
        default=None, description="Null mutes until unmuted."
    )
    notifications: bool | None = strawberry.field(
        default=True, description="Also hide the muted user's notifications (default true)."
    )


def _user(value: str, viewer_id: int) -> User:
    pk = pk_of(value, "User")
    user = None if pk is None else visible_user(user_id=pk, viewer_id=viewer_id)
    if user is None:
        raise ValidationFailed(field="userId", code=ErrorCode.NOT_FOUND, message="No such user.")
    return user


@strawberry.type
class MuteQuery:
    @strawberry_django.field(
        description="Users the viewer muted (unexpired mutes), most recent first. Requires sign-in."
    )
    def muted_users(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> UserConnection:
        viewer_id = require_viewer_id(info)
        page = keyset_page(
            user_reads.muted_rows(viewer_id=viewer_id),
            kind="muted",
            keys=user_reads.FOLLOW_ORDER,
            first=first,
            after=after,
            key_values=user_reads.row_keys,
        )
        views = [user_reads.view_of(row, viewer_id) for row in page.nodes]
        return UserConnection.build(page, views)


@strawberry.type
class MuteMutation:
    @strawberry.mutation(description="Idempotent; muting again replaces the duration.")
    def mute_user(self, info: Info, input: MuteUserInput) -> UserPayload:
        viewer = require_viewer(info)
        payload = UserPayload()
        with payload_errors(payload):
            user = _user(input.user_id, viewer.pk)
            mutes.mute_create(
                muter=viewer,
                muted=user,
                duration_seconds=input.duration_seconds,
                # An explicit null keeps the default, as an omitted value does.
                notifications=input.notifications is not False,
            )
            payload.user = user_reads.user_view(user_id=user.pk, viewer_id=viewer.pk)  # type: ignore[assignment]
        return payload

    @strawberry.mutation
    def unmute_user(self, info: Info, user_id: strawberry.ID) -> UserPayload:
        viewer = require_viewer(info)
        payload = UserPayload()
        with payload_errors(payload):
            user = _user(user_id, viewer.pk)
            mutes.mute_delete(muter=viewer, muted=user)
            payload.user = user_reads.user_view(user_id=user.pk, viewer_id=viewer.pk)  # type: ignore[assignment]
        return payload
