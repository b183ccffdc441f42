"""Uploads attached to posts and avatars: rules, visibility, files removed, reads in one
query."""

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from graph.ids import global_id
from social.models import Follow, Media, Post, User
from social.services import blocks, media, moderation
from social.services.deletion import user_delete
from tests import media_files
from tests.conftest import GqlCall
from tests.factories import make_post, make_user

pytestmark = pytest.mark.django_db

MEDIA_FIELDS = "media { id url thumbnailUrl width height mimeType altText }"
CREATE = (
    "mutation($input: CreatePostInput!) { createPost(input: $input) { post { body MEDIA } "
    "errors { field code } } }"
).replace("MEDIA", MEDIA_FIELDS)
DELETE = "mutation($id: ID!) { deletePost(id: $id) { deletedId errors { code } } }"
PROFILE = (
    "mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { "
    "user { avatarUrl avatar { id url thumbnailUrl } } errors { field code } } }"
)
NODE = "query($id: ID!) { node(id: $id) { ... on Media { id url } } }"


def stored_names() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def an_upload(owner: User, *, alt: str = "") -> Media:
    data = media_files.png()
    return media.media_upload(owner=owner, file=io.BytesIO(data), size=len(data), alt_text=alt)


def gid(item: Media) -> str:
    return global_id("Media", item.pk)


def test_a_post_shows_its_images_in_the_order_given_and_may_have_no_body(gql: GqlCall) -> None:
    ann = make_user("ann")
    first, second = an_upload(ann, alt="first"), an_upload(ann, alt="second")
    result = gql(
        CREATE, {"input": {"body": "  ", "mediaIds": [gid(second), gid(first)]}}, as_user=ann
    )["data"]["createPost"]
    assert result["errors"] == []
    assert result["post"]["body"] == ""
    assert [m["altText"] for m in result["post"]["media"]] == ["second", "first"]
    assert result["post"]["media"][0]["url"].startswith("http://testserver/media/")
    assert set(Media.objects.values_list("post_id", flat=True)) == {Post.objects.get().pk}


def test_an_empty_body_without_images_is_still_required(gql: GqlCall) -> None:
    result = gql(CREATE, {"input": {"body": " ", "mediaIds": []}}, as_user=make_user())
    assert result["data"]["createPost"]["errors"] == [{"field": "body", "code": "REQUIRED"}]


@pytest.mark.parametrize(
    "case", ["five", "someone_elses", "missing", "not_a_media_id", "repeated", "attached"]
)
def test_media_ids_are_the_viewers_own_unattached_uploads(gql: GqlCall, case: str) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    own = [an_upload(ann) for _ in range(5)]
    ids = {
        "five": [gid(m) for m in own],
        "someone_elses": [gid(an_upload(bob))],
        "missing": [global_id("Media", 999_999)],
        "not_a_media_id": [global_id("Post", make_post(ann).pk)],
        "repeated": [gid(own[0]), gid(own[0])],
        "attached": [gid(own[0])],
    }[case]
    if case == "attached":
        gql(CREATE, {"input": {"body": "x", "mediaIds": ids}}, as_user=ann)
    posts_before = Post.objects.count()
    result = gql(CREATE, {"input": {"body": "hi", "mediaIds": ids}}, as_user=ann)
    code = "NOT_FOUND" if case in {"someone_elses", "missing", "not_a_media_id"} else "INVALID"
    assert result["data"]["createPost"] == {
        "post": None,
        "errors": [{"field": "mediaIds", "code": code}],
    }
    assert Post.objects.count() == posts_before


def test_deleting_a_post_deletes_its_files(
    gql: GqlCall, django_capture_on_commit_callbacks: Any
) -> None:
    ann = make_user("ann")
    item = an_upload(ann)
    names = {item.file, item.thumbnail}
    assert names <= stored_names()
    post = gql(CREATE, {"input": {"body": "x", "mediaIds": [gid(item)]}}, as_user=ann)
    assert post["data"]["createPost"]["errors"] == []
    post_id = global_id("Post", Post.objects.get().pk)
    with django_capture_on_commit_callbacks(execute=True):
        gql(DELETE, {"id": post_id}, as_user=ann)
    assert not names & stored_names()
    assert not Media.objects.exists()


def test_an_avatar_upload_sets_avatar_and_avatar_url_and_replacing_it_deletes_the_old_files(
    gql: GqlCall, django_capture_on_commit_callbacks: Any
) -> None:
    ann = make_user("ann")
    first, second = an_upload(ann), an_upload(ann)
    user = gql(PROFILE, {"input": {"avatarMediaId": gid(first)}}, as_user=ann)
    shown = user["data"]["updateProfile"]["user"]
    assert shown["avatar"]["id"] == gid(first)
    assert shown["avatarUrl"] == shown["avatar"]["thumbnailUrl"]
    assert shown["avatarUrl"].startswith("http://testserver/media/")
    read = gql('{ user(username: "ann") { avatarUrl avatar { id } } }')["data"]["user"]
    assert read == {"avatarUrl": shown["avatarUrl"], "avatar": {"id": gid(first)}}
    with django_capture_on_commit_callbacks(execute=True):
        gql(PROFILE, {"input": {"avatarMediaId": gid(second)}}, as_user=ann)
    assert {first.file, first.thumbnail}.isdisjoint(stored_names())
    assert {second.file, second.thumbnail} <= stored_names()
    # An avatar is in use: no post can take it, and it is not purged.
    used = gql(CREATE, {"input": {"body": "x", "mediaIds": [gid(second)]}}, as_user=ann)
    assert used["data"]["createPost"]["errors"] == [{"field": "mediaIds", "code": "INVALID"}]
    # A plain avatarUrl replaces the uploaded picture.
    with django_capture_on_commit_callbacks(execute=True):
        plain = gql(PROFILE, {"input": {"avatarUrl": "https://x.test/a.png"}}, as_user=ann)
    assert plain["data"]["updateProfile"]["user"] == {
        "avatarUrl": "https://x.test/a.png",
        "avatar": None,
    }
    assert {second.file, second.thumbnail}.isdisjoint(stored_names())


def test_sending_back_the_current_avatar_with_other_changes_keeps_it(
    gql: GqlCall, django_capture_on_commit_callbacks: Any
) -> None:
    """A profile form sends avatarMediaId = avatar.id with every save: the current avatar is
    the viewer's own upload, so the save succeeds and the picture and its files stay."""
    ann = make_user("ann")
    item = an_upload(ann)
    first = gql(PROFILE, {"input": {"avatarMediaId": gid(item)}}, as_user=ann)
    shown = first["data"]["updateProfile"]["user"]
    with django_capture_on_commit_callbacks(execute=True):
        again = gql(PROFILE, {"input": {"avatarMediaId": gid(item), "bio": "new bio"}}, as_user=ann)
    assert again["data"]["updateProfile"] == {"user": shown, "errors": []}
    assert User.objects.get(pk=ann.pk).bio == "new bio"
    assert {item.file, item.thumbnail} <= stored_names()
    assert Media.objects.filter(pk=item.pk, is_avatar=True).exists()


def test_sending_back_the_uploaded_avatars_own_url_keeps_it(
    gql: GqlCall, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """avatarUrl is the upload's thumbnail URL: a form that sends it back unchanged must not
    replace the upload with a URL to its own deleted thumbnail."""
    settings.MEDIA_BASE_URL = "https://cdn.example.com"
    ann = make_user("ann")
    item = an_upload(ann)
    first = gql(PROFILE, {"input": {"avatarMediaId": gid(item)}}, as_user=ann)
    shown = first["data"]["updateProfile"]["user"]
    assert shown["avatarUrl"].startswith("https://cdn.example.com/")
    with django_capture_on_commit_callbacks(execute=True):
        again = gql(
            PROFILE, {"input": {"avatarUrl": shown["avatarUrl"], "bio": "new"}}, as_user=ann
        )
    assert again["data"]["updateProfile"] == {"user": shown, "errors": []}
    assert User.objects.get(pk=ann.pk).bio == "new"
    assert {item.file, item.thumbnail} <= stored_names()


@pytest.mark.parametrize("case", ["someone_elses", "attached", "garbage"])
def test_avatar_media_id_must_be_an_unattached_upload_of_the_viewer(
    gql: GqlCall, case: str
) -> None:
    ann, bob = make_user("ann"), make_user("bob")
    item = an_upload(bob if case == "someone_elses" else ann)
    if case == "attached":
        gql(CREATE, {"input": {"body": "x", "mediaIds": [gid(item)]}}, as_user=ann)
    value = "garbage" if case == "garbage" else gid(item)
    result = gql(PROFILE, {"input": {"avatarMediaId": value}}, as_user=ann)
    code = "INVALID" if case == "attached" else "NOT_FOUND"
    assert result["data"]["updateProfile"] == {
        "user": None,
        "errors": [{"field": "avatarMediaId", "code": code}],
    }
    assert User.objects.get(pk=ann.pk).avatar_json is None


def test_a_media_node_is_readable_only_where_its_post_or_profile_is(gql: GqlCall) -> None:
    ann, bob, eve = make_user("ann"), make_user("bob"), make_user("eve")
    unattached = an_upload(ann)
    in_post = an_upload(ann)
    avatar = an_upload(ann)
    gql(CREATE, {"input": {"body": "x", "mediaIds": [gid(in_post)]}}, as_user=ann)
    gql(PROFILE, {"input": {"avatarMediaId": gid(avatar)}}, as_user=ann)

    def node(item: Media, viewer: User | None) -> Any:
        return gql(NODE, {"id": gid(item)}, as_user=viewer)["data"]["node"]

    # Someone else's unattached upload is not readable; one's own is.
    assert node(unattached, bob) is None and node(unattached, None) is None
    assert node(unattached, ann)["id"] == gid(unattached)
    assert node(in_post, bob)["id"] == gid(in_post)
    assert node(avatar, None)["id"] == gid(avatar)
    # A block hides the post, so its images too; the avatar goes as the profile goes.
    blocks.block_create(blocker=ann, blocked=bob)
    assert node(in_post, bob) is None
    profile = gql('{ user(username: "ann") { id } }', as_user=bob)["data"]["user"]
    assert (node(avatar, bob) is None) == (profile is None)
    assert node(in_post, eve) is not None
    # A locked account's posts reach approved followers only.
    User.objects.filter(pk=ann.pk).update(is_locked=True)
    assert node(in_post, eve) is None
    Follow.objects.create(follower=eve, followee=ann)  # an approved follower
    assert node(in_post, eve) is not None
    # A suspended account is gone for everyone.
    moderation.user_suspend(user=ann, moderator=make_user("mod", is_staff=True))
    assert node(in_post, eve) is None and node(avatar, eve) is None


def test_account_deletion_deletes_every_file(django_capture_on_commit_callbacks: Any) -> None:
    ann = make_user("ann")
    items = [an_upload(ann), an_upload(ann)]
    with django_capture_on_commit_callbacks(execute=True):
        user_delete(user=ann)
    assert {n for m in items for n in (m.file, m.thumbnail)}.isdisjoint(stored_names())


def test_purge_media_removes_old_unattached_uploads_only(
    gql: GqlCall, django_capture_on_commit_callbacks: Any
) -> None:
    ann = make_user("ann")
    old, recent, attached, avatar = (an_upload(ann) for _ in range(4))
    gql(CREATE, {"input": {"body": "x", "mediaIds": [gid(attached)]}}, as_user=ann)
    gql(PROFILE, {"input": {"avatarMediaId": gid(avatar)}}, as_user=ann)
    day_ago = timezone.now() - timedelta(hours=25)
    Media.objects.exclude(pk=recent.pk).update(created_at=day_ago)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_media", stdout=out)
    assert "Removed 1 " in out.getvalue()
    assert set(Media.objects.values_list("pk", flat=True)) == {recent.pk, attached.pk, avatar.pk}
    assert {old.file, old.thumbnail}.isdisjoint(stored_names())
    assert {recent.file, attached.file, avatar.file} <= stored_names()


FEED = """query($first: Int) { publicFeed(first: $first) { edges { node {
  body MEDIA author { username avatarUrl avatar { url thumbnailUrl } }
  replyTo { MEDIA author { avatar { url } } }
} } } }""".replace("MEDIA", MEDIA_FIELDS)


@pytest.mark.parametrize("first", [5, 100])
def test_a_feed_page_reads_images_and_avatars_in_its_one_query(
    gql: GqlCall, django_assert_max_num_queries: Any, first: int
) -> None:
    authors = [make_user(f"author{i}") for i in range(4)]
    for author in authors:
        media.avatar_set(user=author, media_id=an_upload(author).pk)
    item = an_upload(authors[0]).as_json()
    for i in range(105):
        post = make_post(authors[i % 4], f"post {i}")
        Post.objects.filter(pk=post.pk).update(has_media=True, media_json=[item, item])
    # The list statement and, on SQLite, the tags apart: as without images.
    with django_assert_max_num_queries(1 if connection.vendor == "postgresql" else 2):
        edges = gql(FEED, {"first": first})["data"]["publicFeed"]["edges"]
    assert len(edges) == first
    assert all(len(e["node"]["media"]) == 2 for e in edges)
    assert all(e["node"]["author"]["avatar"]["url"] for e in edges)
    assert all(
        e["node"]["author"]["avatarUrl"] == e["node"]["author"]["avatar"]["thumbnailUrl"]
        for e in edges
    )


def test_a_post_with_images_may_be_edited_to_an_empty_body_and_one_without_may_not(
    gql: GqlCall,
) -> None:
    ann = make_user("ann")
    edit = (
        "mutation($input: EditPostInput!) { editPost(input: $input) { post { body } "
        "errors { field code } } }"
    )
    gql(
        CREATE,
        {"input": {"body": "with a picture", "mediaIds": [gid(an_upload(ann))]}},
        as_user=ann,
    )
    pictured = global_id("Post", Post.objects.get().pk)
    plain = global_id("Post", make_post(ann, "words only").pk)
    emptied = gql(edit, {"input": {"id": pictured, "body": ""}}, as_user=ann)["data"]["editPost"]
    assert emptied == {"post": {"body": ""}, "errors": []}
    refused = gql(edit, {"input": {"id": plain, "body": " "}}, as_user=ann)["data"]["editPost"]
    assert refused == {"post": None, "errors": [{"field": "body", "code": "REQUIRED"}]}
