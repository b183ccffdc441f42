from social.text import normalize_hashtag, parse_hashtags, parse_mentions


def test_hashtags_are_lower_cased_unique_and_in_order() -> None:
    assert parse_hashtags("#Django and #café, #DJANGO again; #x_1 #日本") == [
        "django",
        "café",
        "x_1",
        "日本",
    ]


def test_hashtags_need_a_word_boundary_before_the_hash() -> None:
    assert parse_hashtags("a#b ##double #ok. (#paren)") == ["ok", "paren"]


def test_too_long_hashtags_are_ignored() -> None:
    assert parse_hashtags("#" + "a" * 101 + " #short") == ["short"]


def test_mentions_are_usernames_in_order_without_emails() -> None:
    assert parse_mentions("@Ann, @bob's me@example.com @ann @x @toolong_" + "z" * 30) == [
        "ann",
        "bob",
    ]


def test_normalize_hashtag_accepts_the_hash_and_any_case() -> None:
    assert normalize_hashtag(" #DjAngo ") == "django"
