import strawberry

from graph.types.common import UserError
from graph.types.posts import PostType
from graph.types.users import UserType


@strawberry.input
class CreatePostInput:
    body: str = strawberry.field(
        description="1-500 characters after trimming; may be empty when mediaIds is not."
    )
    reply_to: strawberry.ID | None = None
    media_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Up to 4 of the viewer's own uploads not yet attached to a post.",
    )


@strawberry.input
class EditPostInput:
    id: strawberry.ID
    body: str


@strawberry.type
class PostPayload:
    post: PostType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FollowPayload:
    user: UserType | None = strawberry.field(
        default=None, description="The user followed or unfollowed, with fresh counts."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)
