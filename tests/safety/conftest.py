# The live part of the scripted session holds WebSocket subscriptions.
from tests.websocket.fixtures import _ws_settings, event_broker, token_for  # noqa: F401
