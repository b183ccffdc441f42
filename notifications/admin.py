"""Admin for notifications: view-only, since only the services create them."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications.models import Notification
from social.admin import ViewOnlyAdmin


class ReadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "read"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Read"), ("no", "Unread")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Notification]
    ) -> QuerySet[Notification]:
        if self.value() in ("yes", "no"):
            return queryset.filter(read_at__isnull=self.value() == "no")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ViewOnlyAdmin):
    # View-only: only the services create and update notifications (and publish their events).
    list_display = ("id", "recipient", "kind", "actor", "post", "created_at", "is_read")
    list_select_related = ("recipient", "actor", "post")
    list_filter = ("kind", ReadFilter, "created_at")
    search_fields = ("recipient__username", "actor__username")
    ordering = ("-id",)
    show_full_result_count = False
    raw_id_fields = ("recipient", "actor", "post")

    @admin.display(boolean=True, description="read", ordering="read_at")
    def is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None
