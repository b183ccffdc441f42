"""The moderation queue in the admin: filters, the reported posts, both sides' history, and
actions that go through the moderation services and are recorded."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from social.models import ModeratorAction, Post, Report, Session, User
from social.services.moderation import user_suspend
from social.services.reports import report_create
from social.services.tokens import token_pair_issue
from tests.factories import PASSWORD, make_post, make_user

pytestmark = pytest.mark.django_db

QUEUE = "/admin/social/report/"


@pytest.fixture
def moderator() -> User:
    return make_user("moderator", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(client: Client, moderator: User) -> Client:
    client.force_login(moderator)
    return client


def file_reports(size: int, *, start: int = 0) -> list[Report]:
    reports = []
    for n in range(start, start + size):
        reporter, target = make_user(f"reporter{n}"), make_user(f"target{n}")
        posts = [make_post(target, f"bad post {n}a"), make_post(target, f"bad post {n}b")]
        reason = "SPAM" if n % 2 else "HATE"
        reports.append(
            report_create(
                reporter=reporter,
                target=target,
                reason=reason,
                post_ids=[p.pk for p in posts],
                comment=f"comment {n}",
            )
        )
    return reports


@pytest.mark.parametrize("query", [{}, {"status__exact": "OPEN"}, {"reason__exact": "SPAM"}])
def test_the_queue_renders_with_filters_in_a_bounded_number_of_queries(
    staff_client: Client, query: dict[str, str], django_assert_max_num_queries: Any
) -> None:
    # Session, user, the page's rows (reporter, target and post count joined) and its count.
    file_reports(3)
    with django_assert_max_num_queries(5):
        small = staff_client.get(QUEUE, query)
    file_reports(27, start=3)
    with django_assert_max_num_queries(5):
        large = staff_client.get(QUEUE, query)
    assert small.status_code == large.status_code == 200
    expected = Report.objects.filter(**{k.replace("__exact", ""): v for k, v in query.items()})
    assert large.context["cl"].result_count == expected.count() > 0


def test_a_report_page_shows_the_posts_and_both_sides_history(
    staff_client: Client, moderator: User, django_assert_max_num_queries: Any
) -> None:
    [report] = file_reports(1)
    reporter, target = report.reporter, report.target
    earlier = report_create(reporter=reporter, target=target, reason="OTHER", comment="before")
    against_reporter = report_create(reporter=target, target=reporter, reason="HARASSMENT")
    user_suspend(user=target, moderator=moderator, report=earlier)

    # Session, user, the report, the inline posts, and three lists per side, however long.
    with django_assert_max_num_queries(13):
        response = staff_client.get(f"{QUEUE}{report.pk}/change/")
    for _ in range(5):
        report_create(reporter=reporter, target=target, reason="SPAM")
        report_create(reporter=target, target=reporter, reason="SPAM")
    with django_assert_max_num_queries(13):
        assert staff_client.get(f"{QUEUE}{report.pk}/change/").status_code == 200

    assert response.status_code == 200
    page = response.content.decode()
    assert "bad post 0a" in page and "bad post 0b" in page
    assert f"#{earlier.pk}: OTHER by {reporter} against {target}" in page
    assert f"#{against_reporter.pk}: HARASSMENT by {target} against {reporter}" in page
    assert "Suspended the account by moderator" in page
    assert "Save" not in page


def _act(client: Client, action: str, reports: list[Report]) -> Any:
    return client.post(
        QUEUE, {"action": action, "_selected_action": [r.pk for r in reports]}, follow=True
    )


def test_dismiss_closes_the_report_and_is_recorded(staff_client: Client, moderator: User) -> None:
    [report] = file_reports(1)

    assert _act(staff_client, "dismiss", [report]).status_code == 200

    report.refresh_from_db()
    assert report.status == "DISMISSED" and report.resolved_at is not None
    action = ModeratorAction.objects.get()
    assert (action.moderator, action.kind, action.target_id, action.report) == (
        moderator,
        "DISMISS",
        report.target_id,
        report,
    )
    assert Post.objects.filter(author=report.target).count() == 2


def test_removing_the_reported_posts_keeps_the_counts_exact(
    staff_client: Client, moderator: User
) -> None:
    [report] = file_reports(1)
    target = report.target
    kept = make_post(target, "a fine post")
    reported = list(report.posts.order_by("pk"))
    parent = make_post(report.reporter, "a question")
    reply = make_post(target, "reported reply", reply_to=parent)
    report.posts.add(reply)

    assert _act(staff_client, "remove_reported_posts", [report]).status_code == 200

    assert list(Post.objects.filter(author=target)) == [kept]
    target.refresh_from_db()
    parent.refresh_from_db()
    assert target.post_count == Post.objects.filter(author=target).count() == 1
    assert parent.reply_count == Post.objects.filter(reply_to=parent).count() == 0
    report.refresh_from_db()
    assert report.status == "ACTIONED"
    action = ModeratorAction.objects.get()
    assert (action.moderator, action.kind) == (moderator, "REMOVE_POSTS")
    assert action.detail == "posts " + ", ".join(str(p.pk) for p in [*reported, reply])


def test_removing_posts_leaves_a_closed_report_as_it_was_decided(
    staff_client: Client, moderator: User
) -> None:
    [report] = file_reports(1)
    assert _act(staff_client, "dismiss", [report]).status_code == 200

    assert _act(staff_client, "remove_reported_posts", [report]).status_code == 200

    report.refresh_from_db()
    assert report.status == "DISMISSED"
    assert Post.objects.filter(author=report.target).count() == 2
    assert list(ModeratorAction.objects.values_list("kind", flat=True)) == ["DISMISS"]


def test_suspend_and_unsuspend_are_recorded_and_sign_the_account_out(
    staff_client: Client, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    [report] = file_reports(1)
    target = report.target
    token_pair_issue(user=target, user_agent="Phone")

    with django_capture_on_commit_callbacks(execute=True):
        assert _act(staff_client, "suspend_targets", [report]).status_code == 200

    target.refresh_from_db()
    report.refresh_from_db()
    assert target.suspended_at is not None and report.status == "ACTIONED"
    assert not Session.objects.filter(user=target, revoked_at__isnull=True).exists()
    queue = staff_client.get(QUEUE).content.decode()
    assert "icon-yes" in queue  # the target-suspended column

    assert _act(staff_client, "unsuspend_targets", [report]).status_code == 200

    target.refresh_from_db()
    assert target.suspended_at is None
    assert list(
        ModeratorAction.objects.order_by("pk").values_list("moderator__username", "kind")
    ) == [("moderator", "SUSPEND"), ("moderator", "UNSUSPEND")]


def test_suspending_closes_every_selected_report_about_the_account(
    staff_client: Client, moderator: User
) -> None:
    # Several people report one spammer; the moderator selects all their reports and
    # suspends: none of them may stay open in the queue, each says what was done.
    [first] = file_reports(1)
    target = first.target
    second = report_create(reporter=make_user("witness"), target=target, reason="SPAM")
    third = report_create(reporter=make_user("latecomer"), target=target, reason="SPAM")

    assert _act(staff_client, "suspend_targets", [first, second]).status_code == 200
    # A report filed after the suspension, acted on later.
    assert _act(staff_client, "suspend_targets", [third]).status_code == 200

    target.refresh_from_db()
    assert target.suspended_at is not None
    statuses = {r.pk: r.status for r in Report.objects.filter(target=target)}
    assert statuses == {first.pk: "ACTIONED", second.pk: "ACTIONED", third.pk: "ACTIONED"}
    recorded = ModeratorAction.objects.filter(target=target, kind="SUSPEND")
    assert sorted(recorded.values_list("report_id", flat=True)) == sorted(
        [first.pk, second.pk, third.pk]
    )
    assert recorded.filter(detail="").count() == 1  # one suspension, two closed by it


def test_the_action_record_is_read_only(staff_client: Client, moderator: User) -> None:
    [report] = file_reports(1)
    _act(staff_client, "dismiss", [report])
    action = ModeratorAction.objects.get()

    listing = staff_client.get("/admin/social/moderatoraction/", {"kind__exact": "DISMISS"})
    assert listing.status_code == 200 and listing.context["cl"].result_count == 1
    assert staff_client.get("/admin/social/moderatoraction/add/").status_code == 403
    page = staff_client.get(f"/admin/social/moderatoraction/{action.pk}/change/")
    assert page.status_code == 200 and "Save" not in page.content.decode()
    assert staff_client.get("/admin/social/report/add/").status_code == 403


def test_staff_without_the_moderation_permission_cannot_act(
    client: Client, user_factory: Callable[..., User]
) -> None:
    viewer = make_user("helpdesk", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_report"))
    client.force_login(viewer)
    [report] = file_reports(1)

    assert client.get(QUEUE).status_code == 200
    _act(client, "suspend_targets", [report])

    report.target.refresh_from_db()
    assert report.target.suspended_at is None
    assert not ModeratorAction.objects.exists()


def test_a_suspended_staff_account_loses_its_admin_session(
    client: Client, moderator: User, django_capture_on_commit_callbacks: Any
) -> None:
    staff = make_user("staffer", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get(QUEUE).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        user_suspend(user=staff, moderator=moderator)

    assert client.get(QUEUE).status_code == 302
    assert not client.login(username="staffer", password=PASSWORD)
