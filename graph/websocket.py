"""The WebSocket side of /graphql: graphql-transport-ws and legacy graphql-ws."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from django.urls import re_path
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from graph.auth import bearer_token, context_for_token
from graph.context import Context
from graph.schema import schema


class GraphQLConsumer(GraphQLWSConsumer):
    async def get_context(self, request: Any, response: Any) -> Context:  # type: ignore[override]
        context = Context(ws=request)
        user = request.scope.get("user")
        if user is not None and user.is_authenticated and user.is_active:
            context.set_viewer(user)
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:  # type: ignore[override]
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        if raw is None:
            return await super().on_ws_connect(context)
        token = bearer_token(raw) if isinstance(raw, str) else ""
        context_for_token(token, context)
        if context.auth_error is None:
            context.set_viewer(await database_sync_to_async(lambda: context.viewer)())
        if context.auth_error is not None or context.viewer is None:
            raise ConnectionRejectionError()
        return await super().on_ws_connect(context)


websocket_application = AuthMiddlewareStack(
    URLRouter([re_path(r"^graphql/?$", GraphQLConsumer.as_asgi(schema=schema))])
)
