import strawberry

from graph.context import Info
from graph.types.common import UserError
from graph.types.posts import PostType
from graph.types.selection import selected_post_shape
from graph.types.users import UserType, signed_in_user
from social.reads import posts as post_reads


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
    reply_to_id: strawberry.Private[int | None] = None

    @strawberry.field(
        description="The post the deleted one replied to, read after the delete (its "
        "replyCount one less); null for a top-level post."
    )
    def reply_to(self, info: Info) -> PostType | None:
        if self.reply_to_id is None or info.context.viewer_id is None:
            return None
        view = post_reads.post_view(
            post_id=self.reply_to_id,
            viewer_id=info.context.viewer_id,
            shape=selected_post_shape(info),
        )
        return view  # type: ignore[return-value]


@strawberry.type
class FollowPayload:
    user: UserType | None = strawberry.field(
        default=None, description="The user followed or unfollowed, with fresh counts."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(
        description="The signed-in user after the change, with fresh counts: a follow, a "
        "block or an accepted request changes their own followingCount or followerCount."
    )
    def viewer(self, info: Info) -> UserType | None:
        return signed_in_user(info)
