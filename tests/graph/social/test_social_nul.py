import pytest

from tests.conftest import GqlCall
from tests.factories import make_post, make_user


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "query($q: String!) { searchUsers(query: $q) { edges { cursor } } }",
        "query($q: String!) { hashtagFeed(tag: $q) { edges { cursor } } }",
    ],
)
def test_nul_characters_in_search_text_match_nothing(gql: GqlCall, query: str) -> None:
    make_post(make_user("someone"), "#tag")
    for value in ("a\x00b", "\x00", "#ta\x00g"):
        result = gql(query, {"q": value})
        assert "errors" not in result, result
        assert next(iter(result["data"].values()))["edges"] == []


@pytest.mark.django_db
def test_nul_in_a_username_finds_nobody(gql: GqlCall) -> None:
    make_user("someone")
    result = gql("query($u: String!) { user(username: $u) { id } }", {"u": "some\x00one"})
    assert result == {"data": {"user": None}}
