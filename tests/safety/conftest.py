# The live part of the scripted session holds WebSocket subscriptions.
from tests.websocket.fixtures import (  # noqa: F401
    _ws_settings,
    event_broker,
    live_runtime,
    token_for,
)
