"""A profile's button states (mutes, blocks, follow requests) and emailVerified are compiled:
one statement, and the same answer as the normal executor's, for every viewer."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from social.models import Block, FollowRequest, Mute, User
from tests.factories import make_follow, make_user
from tests.graph.compiled.conftest import Run

FLAGS = "username email emailVerified isLocked viewerFollows followsViewer viewerMutes viewerBlocks blocksViewer viewerFollowRequested"  # noqa: E501
PROFILE = f"""query Profile($name: String!) {{
  user(username: $name) {{ {FLAGS} followers(first: 10) {{ edges {{ node {{ {FLAGS} }} }} }} }}
}}"""


@pytest.fixture
def people() -> dict[str, User]:
    now = timezone.now()
    ana = make_user("ana", email_verified_at=now)
    ben, cal, eve = make_user("ben"), make_user("cal"), make_user("eve")
    dan = make_user("dan", is_locked=True)
    for follower in (ben, cal, eve, dan):
        make_follow(follower, ana)
    make_follow(ana, cal)
    Mute.objects.create(muter=ana, muted=cal)
    Mute.objects.create(muter=ana, muted=eve, expires_at=now - timedelta(minutes=1))
    Mute.objects.create(muter=ana, muted=dan, expires_at=now + timedelta(days=1))
    Block.objects.create(blocker=ben, blocked=eve)
    FollowRequest.objects.create(requester=ana, target=dan)
    FollowRequest.objects.create(requester=eve, target=dan)
    return {u.username: u for u in (ana, ben, cal, dan, eve)}


@pytest.mark.parametrize("viewer", [None, "ana", "ben", "dan", "eve"])
def test_the_flags_read_alike_compiled_and_not(
    run: Run, people: dict[str, User], viewer: str | None
) -> None:
    seen = None if viewer is None else people[viewer]
    for name in people:
        compiled = run(PROFILE, {"name": name}, viewer=seen)
        assert compiled == run(PROFILE, {"name": name}, viewer=seen, compiled=False), name


def test_a_profile_with_its_flags_is_one_statement(
    run: Run, people: dict[str, User], django_assert_num_queries: Any
) -> None:
    run(PROFILE, {"name": "dan"}, viewer=people["ana"])
    with django_assert_num_queries(1):
        answer = run(PROFILE, {"name": "dan"}, viewer=people["ana"])
    dan = answer["data"]["user"]
    assert dan["viewerMutes"] and dan["viewerFollowRequested"] and dan["isLocked"]
    assert dan["emailVerified"] is None  # only for themself
    followers = {e["node"]["username"]: e["node"] for e in dan["followers"]["edges"]}
    assert followers == {}  # dan follows ana, nobody follows dan

    answer = run(PROFILE, {"name": "ana"}, viewer=people["ana"])["data"]["user"]
    assert answer["emailVerified"] is True
    flags = {e["node"]["username"]: e["node"] for e in answer["followers"]["edges"]}
    assert flags["cal"]["viewerMutes"] and not flags["eve"]["viewerMutes"]  # eve's mute ended
    assert flags["dan"]["viewerFollowRequested"] and not flags["ben"]["viewerFollowRequested"]
