import strawberry

from graph.context import Info
from graph.types.common import UserError
from graph.types.users import UserType, signed_in_user


@strawberry.input
class RegisterInput:
    username: str = strawberry.field(
        description="3-30 characters: letters, digits, underscore; unique, case-insensitive."
    )
    email: str
    password: str = strawberry.field(description="Checked with Django's password validators.")
    display_name: str | None = None


@strawberry.input
class LoginInput:
    login: str = strawberry.field(description="Username or email.")
    password: str


@strawberry.input
class UpdateProfileInput:
    display_name: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    avatar_media_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the viewer's own uploads; it becomes `avatar`."
    )
    is_locked: bool | None = strawberry.field(
        default=None, description="Unlocking accepts every pending follow request."
    )


@strawberry.type
class AuthPayload:
    user: UserType | None = None
    access_token: str | None = strawberry.field(
        default=None, description="Short-lived bearer token for HTTP and WebSocket."
    )
    refresh_token: str | None = strawberry.field(
        default=None,
        description="Long-lived, single-use: exchanging it returns a new pair and revokes it.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: UserType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(
        description="The signed-in user after the change, with fresh counts: a follow, a "
        "block or an accepted request changes their own followingCount or followerCount."
    )
    def viewer(self, info: Info) -> UserType | None:
        return signed_in_user(info)


@strawberry.type
class LogoutPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.input
class ResetPasswordInput:
    token: str = strawberry.field(description="The token from the reset email.")
    new_password: str


@strawberry.input
class ChangeEmailInput:
    new_email: str
    password: str
