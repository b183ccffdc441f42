from tests.websocket.fixtures import *  # noqa: F403
