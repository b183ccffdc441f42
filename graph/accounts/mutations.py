from typing import cast

import strawberry

from graph.accounts.types import (
    AuthPayload,
    LoginInput,
    LogoutPayload,
    RegisterInput,
    UpdateProfileInput,
    UserPayload,
)
from graph.context import Info
from graph.errors import payload_errors
from graph.ids import pk_of
from graph.permissions import require_viewer
from graph.security.ratelimit import client_address
from graph.types.users import UserType
from social.errors import ErrorCode, ValidationFailed
from social.reads.users import own_view
from social.services import accounts, tokens
from social.services.sessions import revoke_user_sessions


def _ua(info: Info) -> str:
    request = info.context.request
    return request.headers.get("User-Agent", "") if request is not None else ""


def _signed_in(info: Info, payload: AuthPayload, user: object, pair: tokens.TokenPair) -> None:
    payload.user = cast(UserType, own_view(user))  # type: ignore[arg-type]
    payload.access_token = pair.access_token
    payload.refresh_token = pair.refresh_token
    # The rest of this request (the payload's `user { email }`) sees the new viewer.
    info.context.set_viewer(user)  # type: ignore[arg-type]


def _avatar_media_id(value: strawberry.ID | None) -> int | None:
    if value is None:
        return None
    pk = pk_of(value, "Media")
    if pk is None:
        raise ValidationFailed(
            field="avatarMediaId", code=ErrorCode.NOT_FOUND, message="That upload does not exist."
        )
    return pk


@strawberry.type
class AccountMutation:
    @strawberry.mutation
    def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        payload = AuthPayload()
        with payload_errors(payload):
            user = accounts.user_register(
                username=input.username,
                email=input.email,
                password=input.password,
                display_name=input.display_name,
            )
            _signed_in(
                info, payload, user, tokens.token_pair_issue(user=user, user_agent=_ua(info))
            )
        return payload

    @strawberry.mutation
    def login(self, info: Info, input: LoginInput) -> AuthPayload:
        payload = AuthPayload()
        with payload_errors(payload):
            user = accounts.user_authenticate(
                login=input.login,
                password=input.password,
                client_address=client_address(info.context),
            )
            _signed_in(
                info, payload, user, tokens.token_pair_issue(user=user, user_agent=_ua(info))
            )
        return payload

    @strawberry.mutation
    def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        payload = AuthPayload()
        with payload_errors(payload):
            user, pair = tokens.token_pair_refresh(refresh_token=refresh_token)
            _signed_in(info, payload, user, pair)
        return payload

    @strawberry.mutation(
        description=(
            "Revokes the given refresh token, or every token of the viewer when none is given."
        )
    )
    def logout(self, info: Info, refresh_token: str | None = None) -> LogoutPayload:
        payload = LogoutPayload()
        with payload_errors(payload):
            if refresh_token is None:
                revoke_user_sessions(user_id=require_viewer(info).pk)
            else:
                tokens.refresh_token_revoke(refresh_token=refresh_token)
            payload.ok = True
        return payload

    @strawberry.mutation
    def update_profile(self, info: Info, input: UpdateProfileInput) -> UserPayload:
        viewer = require_viewer(info)
        payload = UserPayload()
        with payload_errors(payload):
            user = accounts.user_update_profile(
                user=viewer,
                display_name=input.display_name,
                bio=input.bio,
                avatar_url=input.avatar_url,
                is_locked=input.is_locked,
                avatar_media_id=_avatar_media_id(input.avatar_media_id),
            )
            payload.user = cast(UserType, own_view(user))
        return payload
