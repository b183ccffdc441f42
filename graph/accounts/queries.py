from typing import cast

import strawberry
from strawberry import relay

from graph.context import Info
from graph.node import load_node, node_loader
from graph.types.users import UserType, signed_in_user
from social.reads.users import user_by_username, user_view
from social.reads.views import UserView


@node_loader("User")
def _load_user(info: Info, pk: int) -> UserView | None:
    return user_view(user_id=pk, viewer_id=info.context.viewer_id)


@strawberry.type
class AccountQuery:
    @strawberry.field
    def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return cast(relay.Node | None, load_node(info, id))

    @strawberry.field(description="The signed-in user, or null.")
    def me(self, info: Info) -> UserType | None:
        return signed_in_user(info)

    @strawberry.field
    def user(self, info: Info, username: str) -> UserType | None:
        return cast(
            UserType | None,
            user_by_username(username=username, viewer_id=info.context.viewer_id),
        )
