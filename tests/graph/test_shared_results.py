"""share_results: kept by the payload's identity only while the payload lives."""

import gc
from datetime import UTC, datetime

from realtime import execution
from social.reads.views import PostView, UserView


def _view() -> PostView:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    author = UserView(1, "ann", None, "", "", None, moment, 0, 0, 0)
    return PostView(1, 1, "hi", moment, None, 0, 0, None, author)


def test_a_shared_payload_is_forgotten_with_it() -> None:
    view, twin = _view(), _view()
    execution.share_results(view)
    assert id(view) in execution._results
    # Equal but another object: shares nothing.
    assert view == twin and id(twin) not in execution._results
    key = id(view)
    del view
    gc.collect()
    assert key not in execution._results
