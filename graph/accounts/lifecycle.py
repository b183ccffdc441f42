"""Passwords, email addresses and deleting the account: thin calls into the services."""

from typing import cast

import strawberry
from django.contrib.auth import update_session_auth_hash

from graph.accounts.types import (
    ChangeEmailInput,
    ChangePasswordInput,
    ResetPasswordInput,
    UserPayload,
)
from graph.context import Info
from graph.errors import payload_errors
from graph.permissions import require_viewer
from graph.security.ratelimit import client_address
from graph.types.common import OkPayload
from graph.types.users import UserType
from social.reads.users import own_view, user_view
from social.services import deletion, emails, passwords


@strawberry.type
class AccountLifecycleMutation:
    @strawberry.mutation(description="Signs out every other session.")
    def change_password(self, info: Info, input: ChangePasswordInput) -> OkPayload:
        viewer = require_viewer(info)
        payload = OkPayload()
        with payload_errors(payload):
            passwords.password_change(
                user=viewer,
                current_password=input.current_password,
                new_password=input.new_password,
                session_key=info.context.session_key,
            )
            request = info.context.request
            if info.context.session_key is None and request is not None:
                # Signed in by the session cookie: that session stays signed in.
                update_session_auth_hash(request, viewer)
            payload.ok = True
        return payload

    @strawberry.mutation(
        description="Always ok, whether or not an account has this email (no account enumeration)."
    )
    def request_password_reset(self, info: Info, email: str) -> OkPayload:
        payload = OkPayload()
        with payload_errors(payload):
            passwords.password_reset_request(
                email=email, client_address=client_address(info.context)
            )
            payload.ok = True
        return payload

    @strawberry.mutation(description="Single-use token; signs out every session.")
    def reset_password(self, info: Info, input: ResetPasswordInput) -> OkPayload:
        payload = OkPayload()
        with payload_errors(payload):
            passwords.password_reset(token=input.token, new_password=input.new_password)
            payload.ok = True
        return payload

    @strawberry.mutation(description="Sends a new verification email to the viewer's address.")
    def request_email_verification(self, info: Info) -> OkPayload:
        viewer = require_viewer(info)
        payload = OkPayload()
        with payload_errors(payload):
            emails.email_verification_request(user=viewer)
            payload.ok = True
        return payload

    @strawberry.mutation
    def verify_email(self, info: Info, token: str) -> UserPayload:
        payload = UserPayload()
        with payload_errors(payload):
            user = emails.email_verify(token=token)
            # Whoever holds the link may be signed out: the user as the caller sees them.
            payload.user = cast(
                UserType, user_view(user_id=user.pk, viewer_id=info.context.viewer_id)
            )
        return payload

    @strawberry.mutation(
        description="The new address is unverified until its email's token is used."
    )
    def change_email(self, info: Info, input: ChangeEmailInput) -> UserPayload:
        viewer = require_viewer(info)
        payload = UserPayload()
        with payload_errors(payload):
            user = emails.email_change(
                user=viewer, new_email=input.new_email, password=input.password
            )
            payload.user = cast(UserType, own_view(user))
        return payload

    @strawberry.mutation(
        description="Deletes the viewer's account and everything it owns; signs out every session."
    )
    def delete_account(self, info: Info, password: str) -> OkPayload:
        viewer = require_viewer(info)
        payload = OkPayload()
        with payload_errors(payload):
            deletion.account_delete(user=viewer, password=password)
            payload.ok = True
        return payload
