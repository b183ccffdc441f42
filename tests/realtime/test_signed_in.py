"""The runtime's sign-in index: whom a revocation ends, and a user's connections counted."""

from typing import Any

from realtime.runtime import SignedIn


class _Holder:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    def sign_out(self, reason: str) -> None:
        self.reasons.append(reason)


def test_a_session_or_a_user_signed_out_ends_every_holder_it_names(settings: Any) -> None:
    settings.WS_MAX_CONNECTIONS_PER_USER = 10
    index = SignedIn()
    phone, laptop, cookie, other = _Holder(), _Holder(), _Holder(), _Holder()
    assert index.add(phone, 1, "s1") and index.add(laptop, 1, "s1")
    assert index.add(cookie, 1, None) and index.add(other, 2, "s2")
    assert index.count(1) == 3

    index.signed_out(["s1"], None)
    assert (phone.reasons, laptop.reasons, cookie.reasons) == (["Signed out"], ["Signed out"], [])
    index.signed_out([], 1)
    assert cookie.reasons == ["Signed out"] and other.reasons == []


def test_a_user_over_the_limit_is_refused_until_a_connection_goes(settings: Any) -> None:
    settings.WS_MAX_CONNECTIONS_PER_USER = 2
    index = SignedIn()
    first, second, third = _Holder(), _Holder(), _Holder()
    assert index.add(first, 1, "a") and index.add(second, 1, "b")
    assert not index.add(third, 1, "c")
    assert index.by_session.keys() == {"a", "b"}

    index.discard(first, 1, "a")
    assert index.count(1) == 1 and "a" not in index.by_session
    assert index.add(third, 1, "c")
    for holder, key in ((second, "b"), (third, "c")):
        index.discard(holder, 1, key)
    assert index.by_user == {} and index.by_session == {}
