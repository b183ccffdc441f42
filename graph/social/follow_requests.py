"""Locked accounts' follow requests: the list awaiting the viewer, and the viewer's answers."""

from collections.abc import Callable
from typing import cast

import strawberry
import strawberry_django

from graph.accounts.types import UserPayload
from graph.context import Info
from graph.errors import payload_errors
from graph.ids import pk_of
from graph.permissions import require_viewer, require_viewer_id
from graph.types.users import UserConnection, UserType, follow_request_connection
from social.errors import ErrorCode, ValidationFailed
from social.models import User
from social.reads import users as user_reads
from social.selectors.users import visible_user
from social.services import follow_requests


def _answer(info: Info, user_id: str, act: Callable[..., None]) -> UserPayload:
    """`act(target=viewer, requester=user)` on the requester `userId` names; the payload
    shows the requester after it."""
    viewer = require_viewer(info)
    payload = UserPayload()
    with payload_errors(payload):
        pk = pk_of(user_id, "User")
        requester: User | None = (
            None if pk is None else visible_user(user_id=pk, viewer_id=viewer.pk)
        )
        if requester is None:
            raise ValidationFailed(
                field="userId", code=ErrorCode.NOT_FOUND, message="No such user."
            )
        act(target=viewer, requester=requester)
        view = user_reads.user_view(user_id=requester.pk, viewer_id=viewer.pk)
        payload.user = cast(UserType, view)
    return payload


@strawberry.type
class FollowRequestQuery:
    @strawberry_django.field(
        description="Users waiting for the viewer to accept their follow request, oldest "
        "first. Requires sign-in."
    )
    def follow_requests(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> UserConnection:
        require_viewer_id(info)
        return follow_request_connection(info, first=first, after=after)


@strawberry.type
class FollowRequestMutation:
    @strawberry.mutation(
        description="The requester becomes a follower and is notified (FOLLOW_ACCEPTED)."
    )
    def accept_follow_request(self, info: Info, user_id: strawberry.ID) -> UserPayload:
        return _answer(info, user_id, follow_requests.follow_request_accept)

    @strawberry.mutation(description="The request disappears; the requester is not told.")
    def reject_follow_request(self, info: Info, user_id: strawberry.ID) -> UserPayload:
        return _answer(info, user_id, follow_requests.follow_request_reject)
