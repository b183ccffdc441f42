from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from notifications.models import Notification
from social.models import Post, User
from social.services.follows import follow_create
from social.services.likes import like_create
from social.services.posts import post_create
from social.services.tokens import token_pair_issue


@pytest.fixture
def staff_client(client: Client, user_factory: Callable[..., User]) -> Client:
    admin_user = user_factory("moderator", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    return client


def build_network(user_factory: Callable[..., User], size: int) -> list[Post]:
    users = [user_factory() for _ in range(size)]
    posts = []
    for i, user in enumerate(users):
        other = users[(i + 1) % size]
        follow_create(follower=user, followee=other)
        token_pair_issue(user=user, user_agent="Browser/1.0")
        post = post_create(author=user, body=f"hello @{other.username} #admin{i}")
        posts.append(post)
        like_create(user=other, post=post)
        post_create(author=other, body="a reply", reply_to=post)
    return posts


# Session, user, the page's rows and its count; posts add the date hierarchy's years.
# The same for 3 rows or 30: related objects come in the rows' query.
CHANGELIST_QUERIES = {
    "/admin/social/user/": 4,
    "/admin/social/post/": 6,
    "/admin/social/follow/": 4,
    "/admin/social/followrequest/": 4,
    "/admin/social/like/": 4,
    "/admin/notifications/notification/": 4,
    "/admin/social/session/": 4,
}


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "max_queries"), CHANGELIST_QUERIES.items())
def test_changelist_query_count_does_not_grow_with_rows(
    staff_client: Client,
    user_factory: Callable[..., User],
    url: str,
    max_queries: int,
    django_assert_max_num_queries: Any,
) -> None:
    build_network(user_factory, 3)
    with django_assert_max_num_queries(max_queries):
        assert staff_client.get(url).status_code == 200

    build_network(user_factory, 30)
    with django_assert_max_num_queries(max_queries):
        response = staff_client.get(url)
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/admin/social/user/", {"q": "user", "is_active__exact": "1"}),
        ("/admin/social/post/", {"q": "hello", "is_reply__exact": "0"}),
        ("/admin/social/follow/", {"q": "user"}),
        ("/admin/social/like/", {"q": "user"}),
        ("/admin/notifications/notification/", {"q": "user", "kind__exact": "LIKE", "read": "no"}),
    ],
)
def test_search_and_filters_answer(
    staff_client: Client, user_factory: Callable[..., User], url: str, query: dict[str, str]
) -> None:
    build_network(user_factory, 3)

    response = staff_client.get(url, query)

    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


@pytest.mark.django_db
def test_post_list_shows_author_preview_and_counters(
    staff_client: Client, user_factory: Callable[..., User]
) -> None:
    [post, *_] = build_network(user_factory, 2)

    page = staff_client.get("/admin/social/post/", {"is_reply__exact": "0"}).content.decode()

    assert post.author.username in page
    assert "hello @" in page


@pytest.mark.django_db
def test_counters_are_read_only_on_the_user_page(
    staff_client: Client, user_factory: Callable[..., User]
) -> None:
    [post, *_] = build_network(user_factory, 2)

    response = staff_client.get(f"/admin/social/user/{post.author_id}/change/")

    assert response.status_code == 200
    form_fields = response.context["adminform"].form.fields
    assert "follower_count" not in form_fields
    assert "post_count" not in form_fields
    assert "display_name" in form_fields


@pytest.mark.django_db
def test_deleting_posts_in_admin_goes_through_the_service(
    staff_client: Client, user_factory: Callable[..., User]
) -> None:
    [post, *_] = build_network(user_factory, 2)
    author = post.author
    reply = Post.objects.get(reply_to=post)
    posts_before = User.objects.get(pk=author.pk).post_count

    response = staff_client.post(
        "/admin/social/post/",
        {"action": "delete_posts", "_selected_action": [post.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert not Post.objects.filter(pk=post.pk).exists()
    assert User.objects.get(pk=author.pk).post_count == posts_before - 1
    reply.refresh_from_db()
    assert reply.reply_to_id is None


@pytest.mark.django_db
def test_service_written_rows_are_view_only(
    staff_client: Client, user_factory: Callable[..., User]
) -> None:
    build_network(user_factory, 2)
    notification = Notification.objects.first()
    assert notification is not None

    assert staff_client.get("/admin/social/follow/add/").status_code == 403
    assert staff_client.get("/admin/social/like/add/").status_code == 403
    assert staff_client.get("/admin/social/post/add/").status_code == 403
    view = staff_client.get(f"/admin/notifications/notification/{notification.pk}/change/")
    assert view.status_code == 200
    assert "Save" not in view.content.decode()


def test_admin_needs_staff(client: Client) -> None:
    response = client.get("/admin/social/post/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_moderators_see_a_users_sessions_and_revoke_them(
    staff_client: Client,
    user_factory: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from social import revocations
    from social.models import Session
    from social.services.tokens import token_pair_issue

    member = user_factory("member")
    token_pair_issue(user=member, user_agent="MemberPhone/1.0")
    token_pair_issue(user=member, user_agent="MemberLaptop/2.0")
    page = staff_client.get(f"/admin/social/user/{member.pk}/change/")
    assert page.status_code == 200
    assert b"MemberPhone/1.0" in page.content and b"MemberLaptop/2.0" in page.content
    listing = staff_client.get("/admin/social/session/")
    assert listing.status_code == 200 and b"MemberPhone/1.0" in listing.content

    phone = Session.objects.get(user_agent="MemberPhone/1.0")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            "/admin/social/session/",
            {"action": "revoke_sessions", "_selected_action": [phone.pk]},
        )
    assert response.status_code == 302
    assert revocations.is_revoked(str(phone.key))
    assert Session.objects.filter(revoked_at__isnull=True).get().user_agent == "MemberLaptop/2.0"

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/social/user/",
            {"action": "sign_out_everywhere", "_selected_action": [member.pk]},
        )
    assert not Session.objects.filter(user=member, revoked_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_deactivate_action_signs_the_user_out_everywhere(
    staff_client: Client,
    user_factory: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from social import revocations
    from social.models import Session
    from social.services.tokens import token_pair_issue

    member = user_factory("member")
    token_pair_issue(user=member)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/social/user/",
            {"action": "deactivate_users", "_selected_action": [member.pk]},
        )
    member.refresh_from_db()
    assert member.is_active is False
    assert revocations.is_revoked(str(Session.objects.get(user=member).key))


@pytest.mark.django_db
def test_the_admins_user_deletion_goes_through_the_service(
    user_factory: Callable[..., User], django_capture_on_commit_callbacks: Any
) -> None:
    # The delete pages themselves are refused while view-only rows (follows, sessions)
    # point at the user; whichever way the admin deletes, it is user_delete.
    from django.contrib import admin as django_admin
    from django.test import RequestFactory

    from social import revocations
    from social.models import Follow, Session
    from social.services.tokens import token_pair_issue

    member, friend = user_factory("member"), user_factory("friend")
    follow_create(follower=friend, followee=member)
    token_pair_issue(user=member)
    key = str(Session.objects.get(user=member).key)
    model_admin = django_admin.site._registry[User]
    with django_capture_on_commit_callbacks(execute=True):
        model_admin.delete_queryset(RequestFactory().post("/"), User.objects.filter(pk=member.pk))
    assert not User.objects.filter(pk=member.pk).exists()
    assert revocations.is_revoked(key)
    friend.refresh_from_db()
    assert friend.following_count == Follow.objects.filter(follower=friend).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("changed", "verified"), [(["email"], False), (["bio"], True)])
def test_an_email_changed_in_the_admin_is_unverified(
    rf: Any, user_factory: Callable[..., User], changed: list[str], verified: bool
) -> None:
    from django.contrib import admin
    from django.utils import timezone

    member = user_factory("member")
    member.email_verified_at = timezone.now()
    member.save(update_fields=["email_verified_at"])
    member.email, member.bio = "new@example.com", "new bio"
    form = SimpleNamespace(changed_data=changed)
    admin.site._registry[User].save_model(rf.post("/admin/"), member, form, change=True)
    member.refresh_from_db()
    assert (member.email_verified_at is not None) is verified
