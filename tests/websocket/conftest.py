# Named, not `import *`: a star import skips the underscored autouse fixture.
from tests.websocket.fixtures import _ws_settings, event_broker, token_for  # noqa: F401
