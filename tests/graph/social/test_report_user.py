"""reportUser: a report lands in the queue; bad input answers in the payload, writing nothing."""

from typing import Any

import pytest

from graph.ids import global_id
from social.models import Report, User
from social.models.reports import REPORT_COMMENT_MAX_LENGTH
from social.services.blocks import block_create
from tests.factories import make_post, make_user

pytestmark = pytest.mark.django_db

REPORT = """
mutation($input: ReportInput!) {
  reportUser(input: $input) { ok errors { field code message } }
}
"""


def report(gql: Any, viewer: User, **fields: Any) -> dict[str, Any]:
    return gql(REPORT, {"input": {"reason": "SPAM", **fields}}, as_user=viewer)["data"][
        "reportUser"
    ]


def codes(payload: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


def test_a_report_with_posts_and_a_comment_lands_in_the_queue(gql: Any) -> None:
    alice, troll = make_user("alice"), make_user("troll")
    first, second = make_post(troll, "spam one"), make_post(troll, "spam two")

    payload = report(
        gql,
        alice,
        userId=global_id("User", troll.pk),
        postIds=[global_id("Post", first.pk), global_id("Post", second.pk)],
        reason="HARASSMENT",
        comment="  keeps posting at me  ",
    )

    assert payload == {"ok": True, "errors": []}
    filed = Report.objects.get()
    assert (filed.reporter, filed.target, filed.reason, filed.status) == (
        alice,
        troll,
        "HARASSMENT",
        "OPEN",
    )
    assert filed.comment == "keeps posting at me"
    assert set(filed.posts.values_list("pk", flat=True)) == {first.pk, second.pk}


def test_a_report_without_posts_or_comment_is_fine(gql: Any) -> None:
    alice, troll = make_user("alice"), make_user("troll")
    assert report(gql, alice, userId=global_id("User", troll.pk))["ok"] is True
    assert Report.objects.get().posts.count() == 0


def test_reporting_yourself_is_a_self_action(gql: Any) -> None:
    alice = make_user("alice")
    payload = report(gql, alice, userId=global_id("User", alice.pk))
    assert payload["ok"] is False and codes(payload) == [("userId", "SELF_ACTION")]
    assert not Report.objects.exists()


@pytest.mark.parametrize("hidden", ["missing", "garbage", "inactive", "suspended", "a post id"])
def test_a_missing_or_invisible_user_is_not_found(gql: Any, hidden: str) -> None:
    from django.utils import timezone

    alice, ghost = make_user("alice"), make_user("ghost")
    post = make_post(ghost)
    user_id = {
        "missing": global_id("User", ghost.pk + 1000),
        "garbage": "not-an-id",
        "inactive": global_id("User", ghost.pk),
        "suspended": global_id("User", ghost.pk),
        "a post id": global_id("Post", post.pk),
    }[hidden]
    if hidden == "inactive":
        User.objects.filter(pk=ghost.pk).update(is_active=False)
    if hidden == "suspended":
        User.objects.filter(pk=ghost.pk).update(suspended_at=timezone.now())

    payload = report(gql, alice, userId=user_id)

    assert codes(payload) == [("userId", "NOT_FOUND")]
    assert not Report.objects.exists()


@pytest.mark.parametrize("alice_blocks", [True, False])
def test_a_block_either_way_does_not_stop_a_report_of_the_users_posts(
    gql: Any, alice_blocks: bool
) -> None:
    """Block then report (or be blocked by the troll first): the posts are still that user's
    posts, which the contract lets a report name, and the moderators get them."""
    alice, troll = make_user("alice"), make_user("troll")
    post = make_post(troll, "harassment")
    if alice_blocks:
        block_create(blocker=alice, blocked=troll)
    else:
        block_create(blocker=troll, blocked=alice)

    payload = report(
        gql,
        alice,
        userId=global_id("User", troll.pk),
        postIds=[global_id("Post", post.pk)],
        reason="HARASSMENT",
    )

    assert payload == {"ok": True, "errors": []}
    assert list(Report.objects.get().posts.values_list("pk", flat=True)) == [post.pk]


def test_a_locked_accounts_post_the_reporter_may_not_see_is_invalid(gql: Any) -> None:
    """Only the block is set aside: a locked account's post stays out of a stranger's reach."""
    alice, lena = make_user("alice"), make_user("lena", is_locked=True)
    post = make_post(lena, "for my followers")
    payload = report(
        gql, alice, userId=global_id("User", lena.pk), postIds=[global_id("Post", post.pk)]
    )
    assert codes(payload) == [("postIds", "INVALID")]
    assert not Report.objects.exists()


@pytest.mark.parametrize("which", ["another user's", "a user id", "garbage", "missing"])
def test_post_ids_that_are_not_that_users_posts_are_invalid(gql: Any, which: str) -> None:
    alice, troll, bystander = make_user("alice"), make_user("troll"), make_user("bystander")
    theirs, other = make_post(troll), make_post(bystander)
    wrong = {
        "another user's": global_id("Post", other.pk),
        "a user id": global_id("User", troll.pk),
        "garbage": "%%%",
        "missing": global_id("Post", other.pk + 1000),
    }[which]

    payload = report(
        gql,
        alice,
        userId=global_id("User", troll.pk),
        postIds=[global_id("Post", theirs.pk), wrong],
    )

    assert codes(payload) == [("postIds", "INVALID")]
    assert not Report.objects.exists()


def test_a_comment_over_the_limit_is_too_long(gql: Any) -> None:
    alice, troll = make_user("alice"), make_user("troll")
    userId = global_id("User", troll.pk)

    too_long = report(gql, alice, userId=userId, comment="x" * (REPORT_COMMENT_MAX_LENGTH + 1))
    assert codes(too_long) == [("comment", "TOO_LONG")]
    assert not Report.objects.exists()

    at_limit = report(gql, alice, userId=userId, comment="x" * REPORT_COMMENT_MAX_LENGTH)
    assert at_limit["ok"] is True


def test_signed_out_is_unauthenticated(gql: Any) -> None:
    troll = make_user("troll")
    result = gql(REPORT, {"input": {"userId": global_id("User", troll.pk), "reason": "SPAM"}})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not Report.objects.exists()


def test_reports_are_rate_limited_per_user(gql: Any, settings: Any) -> None:
    settings.RATELIMIT_REPORTS = "2/h"
    alice, bob, troll = make_user("alice"), make_user("bob"), make_user("troll")
    userId = global_id("User", troll.pk)

    answers = [report(gql, alice, userId=userId) for _ in range(3)]

    assert [a["ok"] for a in answers] == [True, True, False]
    assert codes(answers[2]) == [(None, "RATE_LIMITED")]
    assert Report.objects.filter(reporter=alice).count() == 2
    # Another user's budget is their own.
    assert report(gql, bob, userId=userId)["ok"] is True


def test_too_many_posts_and_a_long_comment_are_answered_together(gql: Any) -> None:
    from social.services.reports import REPORT_POSTS_MAX

    alice, troll = make_user("alice"), make_user("troll")
    posts = [make_post(troll, f"post {n}") for n in range(REPORT_POSTS_MAX + 1)]

    payload = report(
        gql,
        alice,
        userId=global_id("User", troll.pk),
        postIds=[global_id("Post", p.pk) for p in posts],
        comment="x" * (REPORT_COMMENT_MAX_LENGTH + 1),
    )

    assert sorted(codes(payload)) == [("comment", "TOO_LONG"), ("postIds", "INVALID")]
    assert not Report.objects.exists()


def test_the_same_post_twice_counts_once(gql: Any) -> None:
    alice, troll = make_user("alice"), make_user("troll")
    post_id = global_id("Post", make_post(troll).pk)
    payload = report(gql, alice, userId=global_id("User", troll.pk), postIds=[post_id, post_id])
    assert payload["ok"] is True and Report.objects.get().posts.count() == 1
