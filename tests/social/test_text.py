import importlib

import pytest
from django.apps import apps as django_apps

from social.models import PostHashtag
from social.text import normalize_hashtag, parse_hashtags, parse_mentions
from tests.factories import make_post, make_user


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


def test_hashtags_written_in_other_unicode_forms_are_one_tag() -> None:
    decomposed, fullwidth = "#Cafe\u0301", "#\uff28\uff41\uff53\uff48"
    assert parse_hashtags(f"{decomposed} #café {fullwidth} #hash") == ["café", "hash"]
    assert normalize_hashtag("CAFE\u0301") == normalize_hashtag("#café") == "café"
    assert normalize_hashtag("\uff28\uff41\uff53\uff48") == "hash"


@pytest.mark.django_db
def test_the_migration_folds_the_tags_stored_before() -> None:
    migration = importlib.import_module("social.migrations.0013_hashtags_folded")
    post, other = make_post(make_user(), "tags"), make_post(make_user(), "tags")
    stored = [(post, "cafe\u0301", 0), (post, "café", 1), (other, "\uff48ash", 0), (other, "x", 1)]
    for on, tag, position in stored:
        PostHashtag.objects.create(post=on, tag=tag, position=position, created_at=on.created_at)
    migration.fold_stored_tags(django_apps, None)
    assert list(post.hashtag_links.values_list("tag", flat=True)) == ["café"]
    assert list(other.hashtag_links.values_list("tag", flat=True)) == ["hash", "x"]
