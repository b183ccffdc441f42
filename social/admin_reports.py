"""The moderation queue: reports with the reported posts and both sides' history, acted on
only through social/services/moderation.py, which records every action."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from social.admin import BODY_PREVIEW, ViewOnlyAdmin
from social.models import ModeratorAction, Report, User
from social.models.reports import ReportStatus
from social.services.moderation import (
    report_dismiss,
    report_remove_posts,
    user_suspend,
    user_unsuspend,
)

# Rows of history shown per list on a report's page.
HISTORY_ROWS = 20


def _preview(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= BODY_PREVIEW else text[: BODY_PREVIEW - 1] + "…"


class ReportedPostInline(admin.TabularInline):
    """The reported posts as they are now (a removed post leaves the list)."""

    model = Report.posts.through
    verbose_name = "reported post"
    verbose_name_plural = "reported posts"
    fields = ("post", "post_body", "post_created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("post")

    @admin.display(description="body")
    def post_body(self, row: Any) -> str:
        return str(row.post.body)

    @admin.display(description="posted")
    def post_created_at(self, row: Any) -> Any:
        return row.post.created_at

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _reports_html(reports: QuerySet[Report]) -> SafeString:
    rows = reports.select_related("reporter", "target").order_by("-created_at")[:HISTORY_ROWS]
    return format_html_join(
        "",
        "<li>{} #{}: {} by {} against {} ({})</li>",
        ((r.created_at.date(), r.pk, r.reason, r.reporter, r.target, r.status) for r in rows),
    ) or format_html("<li>{}</li>", "none")


def _actions_html(user_id: int) -> SafeString:
    rows = (
        ModeratorAction.objects.filter(target_id=user_id)
        .select_related("moderator")
        .order_by("-created_at")[:HISTORY_ROWS]
    )
    return format_html_join(
        "",
        "<li>{}: {} by {} {}</li>",
        ((a.created_at, a.get_kind_display(), a.moderator, a.detail) for a in rows),
    ) or format_html("<li>{}</li>", "none")


def _history(user: User, report: Report) -> SafeString:
    others = Report.objects.exclude(pk=report.pk)
    return format_html(
        "<p>Reports by {0}:</p><ul>{1}</ul><p>Reports against {0}:</p><ul>{2}</ul>"
        "<p>Moderator actions on {0}:</p><ul>{3}</ul>",
        user,
        _reports_html(others.filter(reporter=user)),
        _reports_html(others.filter(target=user)),
        _actions_html(user.pk),
    )


@admin.register(Report)
class ReportAdmin(ViewOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "status",
        "reason",
        "reporter",
        "target",
        "target_suspended",
        "reported_posts",
        "comment_preview",
    )
    list_select_related = ("reporter", "target")
    list_filter = ("status", "reason", "created_at")
    search_fields = ("reporter__username", "target__username", "comment")
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    fields = (
        "reporter",
        "target",
        "reason",
        "comment",
        "status",
        "created_at",
        "resolved_at",
        "target_suspended",
        "reporter_history",
        "target_history",
    )
    readonly_fields = fields
    inlines = (ReportedPostInline,)
    actions = ("dismiss", "remove_reported_posts", "suspend_targets", "unsuspend_targets")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return super().get_queryset(request).annotate(post_total=Count("posts"))

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("social.change_report")

    @admin.display(description="posts", ordering="post_total")
    def reported_posts(self, report: Report) -> int:
        return report.post_total  # type: ignore[attr-defined,no-any-return]

    @admin.display(description="target suspended", boolean=True)
    def target_suspended(self, report: Report) -> bool:
        return report.target.is_suspended

    @admin.display(description="comment")
    def comment_preview(self, report: Report) -> str:
        return _preview(report.comment)

    @admin.display(description="reporter's history")
    def reporter_history(self, report: Report) -> SafeString:
        return _history(report.reporter, report)

    @admin.display(description="target's history")
    def target_history(self, report: Report) -> SafeString:
        return _history(report.target, report)

    def _moderator(self, request: HttpRequest) -> User:
        return request.user  # type: ignore[return-value]

    @admin.action(description="Dismiss selected reports", permissions=["moderate"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        reports = list(queryset.filter(status=ReportStatus.OPEN))
        for report in reports:
            report_dismiss(report=report, moderator=self._moderator(request))
        self.message_user(request, f"Dismissed {len(reports)} report(s).", messages.SUCCESS)

    @admin.action(
        description="Remove the reported posts (counters updated)", permissions=["moderate"]
    )
    def remove_reported_posts(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        # Open reports only, as Dismiss: a closed one stays as it was decided.
        removed = sum(
            len(report_remove_posts(report=report, moderator=self._moderator(request)))
            for report in queryset.filter(status=ReportStatus.OPEN)
        )
        self.message_user(request, f"Removed {removed} post(s).", messages.SUCCESS)

    @admin.action(
        description="Suspend the reported accounts (signed out everywhere at once)",
        permissions=["moderate"],
    )
    def suspend_targets(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        suspended = 0
        for report in queryset.select_related("target"):
            if user_suspend(user=report.target, moderator=self._moderator(request), report=report):
                suspended += 1
        self.message_user(request, f"Suspended {suspended} account(s).", messages.SUCCESS)

    @admin.action(description="Unsuspend the reported accounts", permissions=["moderate"])
    def unsuspend_targets(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        targets = {report.target_id: report.target for report in queryset.select_related("target")}
        restored = sum(
            user_unsuspend(user=user, moderator=self._moderator(request))
            for user in targets.values()
        )
        self.message_user(request, f"Unsuspended {restored} account(s).", messages.SUCCESS)


@admin.register(ModeratorAction)
class ModeratorActionAdmin(ViewOnlyAdmin):
    """Who did what, when: written by the moderation services only."""

    list_display = ("id", "created_at", "moderator", "kind", "target", "report", "detail")
    list_select_related = ("moderator", "target", "report")
    list_filter = ("kind", "created_at")
    search_fields = ("moderator__username", "target__username")
    ordering = ("-created_at", "-id")
    show_full_result_count = False
