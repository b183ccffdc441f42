# Named, not `import *`: a star import skips the underscored autouse fixture.
from tests.websocket.fixtures import (  # noqa: F401
    _ws_settings,
    event_broker,
    live_runtime,
    token_for,
)
