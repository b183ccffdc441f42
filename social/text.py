"""Reading #hashtags and @mentions out of a post's body."""

import re
import unicodedata

from social.models.posts import PostHashtag

# Not preceded by a word character, so "a#b" and "me@example.com" are not tags or mentions.
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_MENTION = re.compile(r"(?<![\w@])@(\w+)")
_USERNAME = re.compile(r"[A-Za-z0-9_]{3,30}", flags=re.ASCII)
HASHTAG_MAX_LENGTH: int = PostHashtag._meta.get_field("tag").max_length or 100
# The most tags and mentions a post may carry (social/services/posts.py refuses more): the
# node limit counts a post's lists at these bounds. What a body of 500 characters could hold
# ("#a #b ...": 167 tags, "@abc @abd ...": 100 mentions) would make a page of 100 posts with
# its tags and mentions count more than the whole node limit.
MAX_HASHTAGS_PER_POST = 30
MAX_MENTIONS_PER_POST = 20


def trimmed(text: str) -> str:
    """The text without its surrounding whitespace; "" when nothing in it is visible
    (whitespace and invisible format characters only: a zero-width space or joiner, a
    direction mark, which str.strip() leaves in)."""
    if all(char.isspace() or unicodedata.category(char) == "Cf" for char in text):
        return ""
    return text.strip()


def fold_tag(tag: str) -> str:
    """A tag's one stored form: NFKC (a composed "é" and "e" with a combining accent, a
    fullwidth letter and its ASCII one alike), then lower-cased."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", tag).lower())


def normalize_hashtag(tag: str) -> str:
    """A tag as stored: without a leading '#', folded (`fold_tag`)."""
    return fold_tag(tag.strip().removeprefix("#"))


def parse_hashtags(body: str) -> list[str]:
    """Tags written as #tag (Unicode letters, digits, underscore), folded, unique, in order."""
    tags: list[str] = []
    # Composed first: a combining accent is no word character, and would end the tag.
    for match in _HASHTAG.finditer(unicodedata.normalize("NFKC", body)):
        tag = fold_tag(match.group(1))
        # Too long to be a tag anyone searches for; storing it would not fit the column.
        if len(tag) <= HASHTAG_MAX_LENGTH and tag not in tags:
            tags.append(tag)
    return tags


def parse_mentions(body: str) -> list[str]:
    """Lower-cased usernames written as @username, unique, in order (existence not checked)."""
    names: list[str] = []
    for match in _MENTION.finditer(body):
        name = match.group(1)
        # "@alice_é" is not a username; the ASCII prefix is not a mention of alice either.
        if _USERNAME.fullmatch(name) and name.lower() not in names:
            names.append(name.lower())
    return names
