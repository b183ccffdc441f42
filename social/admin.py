"""Admin for support and moderation: look people and posts up, never bypass a service.

Counters are kept by the database's triggers, so they are read-only here. Follows
and likes are view-only: only their services write them (and the notifications that
go with them). Posts are deleted through `post_delete`; a user's deletion takes
their rows along, every counter staying exact.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from social.admin_login import ThrottledAdminLoginForm
from social.models import Follow, FollowRequest, Like, Post, Session, User
from social.services.accounts import user_set_active
from social.services.deletion import user_delete
from social.services.posts import post_delete
from social.services.sessions import revoke_user_sessions, session_revoke_by_key

BODY_PREVIEW = 80

# The admin's sign-in spends the same failure budget as the API's `login`.
admin.site.login_form = ThrottledAdminLoginForm


def _is_moderator(request: HttpRequest) -> bool:
    """Signing people out is the moderators' (as the queue's actions are): staff who may
    only look sessions up see them, never revoke them."""
    return request.user.has_perm("social.change_report")


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows that only a service may write."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SessionInline(admin.TabularInline):
    """A user's sessions (signed-in devices); revoked with the admin actions, not edited.
    No email log is kept: mails hold tokens."""

    model = Session
    fields = ("id", "created_at", "last_used_at", "user_agent", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-last_used_at",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "display_name",
        "email",
        "follower_count",
        "following_count",
        "post_count",
        "is_active",
        "is_staff",
        "date_joined",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "date_joined")
    search_fields = ("username", "display_name", "email")
    ordering = ("-date_joined",)
    readonly_fields = ("follower_count", "following_count", "post_count", "date_joined")
    # Large tables: no second COUNT(*) for "of N total" on every search.
    show_full_result_count = False
    # An avatar URL typed without a scheme is https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Profile", {"fields": ("display_name", "bio", "avatar_url")}),
        ("Counters", {"fields": ("follower_count", "following_count", "post_count")}),
    )
    inlines = (SessionInline,)
    actions = ("sign_out_everywhere", "deactivate_users")

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        # Through the service: counters stay exact and the user is signed out everywhere.
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_delete(user=user)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # A password set here (a moderator resetting a compromised account) signs the user
        # out of every API session at once, as the API's reset does; Django only ends the
        # cookie sessions.
        user = self.get_object(request, unquote(id))
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST":
            user.refresh_from_db(fields=["password"])
            if user.password != before:
                revoke_user_sessions(user_id=user.pk)
        return response

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        if change and "email" in form.changed_data:
            # Nobody verified the new address (as after changeEmail, the user is asked to).
            obj.email_verified_at = None
        super().save_model(request, obj, form, change)
        if deactivated:
            # Through the service: the user is signed out of every session at once.
            user_set_active(user=obj, active=False)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return _is_moderator(request)

    @admin.action(description="Sign selected users out of every session", permissions=["moderate"])
    def sign_out_everywhere(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        revoked = sum(revoke_user_sessions(user_id=user.pk) for user in queryset)
        self.message_user(request, f"Signed out {revoked} session(s).", messages.SUCCESS)

    @admin.action(description="Deactivate selected users (signed out everywhere at once)")
    def deactivate_users(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        users = list(queryset)
        for user in users:
            user_set_active(user=user, active=False)
        self.message_user(request, f"Deactivated {len(users)} user(s).", messages.SUCCESS)

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        # A user's follows, likes, posts and notifications go with them (one and single
        # delete alike), every counter kept by the database's triggers: deleting a user
        # needs only the permission to delete users, not to edit those view-only rows.
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "author",
        "body_preview",
        "is_reply",
        "reply_to_id",
        "like_count",
        "reply_count",
        "created_at",
        "edited_at",
    )
    list_display_links = ("id", "body_preview")
    list_select_related = ("author",)
    list_filter = ("is_reply", "created_at")
    search_fields = ("body", "author__username")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    show_full_result_count = False
    raw_id_fields = ("author", "reply_to")
    fields = (
        "author",
        "body",
        "is_reply",
        "reply_to",
        "created_at",
        "edited_at",
        "like_count",
        "reply_count",
    )
    readonly_fields = fields
    actions = ("delete_posts",)

    @admin.display(description="body")
    def body_preview(self, post: Post) -> str:
        body = post.body.replace("\n", " ")
        return body if len(body) <= BODY_PREVIEW else body[: BODY_PREVIEW - 1] + "…"

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A post gets its hashtags, mentions and notifications only from post_create.
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        # Django's bulk delete skips the service: counters and replies would go wrong.
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Delete selected posts (replies stay, counters updated)")
    def delete_posts(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        if not request.user.has_perm("social.delete_post"):
            self.message_user(request, "You may not delete posts.", messages.ERROR)
            return
        deleted = 0
        for post in queryset.select_related("author"):
            post_delete(post=post, actor=post.author)
            deleted += 1
        self.message_user(request, f"Deleted {deleted} post(s).", messages.SUCCESS)


@admin.register(Follow)
class FollowAdmin(ViewOnlyAdmin):
    list_display = ("id", "follower", "followee", "created_at")
    list_select_related = ("follower", "followee")
    list_filter = ("created_at",)
    search_fields = ("follower__username", "followee__username")
    ordering = ("-created_at", "-id")
    show_full_result_count = False


@admin.register(FollowRequest)
class FollowRequestAdmin(ViewOnlyAdmin):
    list_display = ("id", "requester", "target", "created_at")
    list_select_related = ("requester", "target")
    list_filter = ("created_at",)
    search_fields = ("requester__username", "target__username")
    ordering = ("-created_at", "-id")
    show_full_result_count = False


@admin.register(Like)
class LikeAdmin(ViewOnlyAdmin):
    list_display = ("id", "user", "post", "post_author", "created_at")
    list_select_related = ("user", "post", "post__author")
    list_filter = ("created_at",)
    search_fields = ("user__username", "post__author__username")
    ordering = ("-created_at", "-id")
    show_full_result_count = False

    @admin.display(description="post author", ordering="post__author__username")
    def post_author(self, like: Like) -> str:
        return like.post.author.username


@admin.register(Session)
class SessionAdmin(ViewOnlyAdmin):
    """Every user's sessions; a moderator revokes them with the action (at once everywhere)."""

    list_display = ("id", "user", "created_at", "last_used_at", "user_agent", "revoked_at")
    list_select_related = ("user",)
    list_filter = ("revoked_at", "created_at")
    search_fields = ("user__username",)
    ordering = ("-last_used_at", "-id")
    show_full_result_count = False
    actions = ("revoke_sessions",)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return _is_moderator(request)

    @admin.action(
        description="Revoke selected sessions (signed out at once everywhere)",
        permissions=["moderate"],
    )
    def revoke_sessions(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        revoked = 0
        for session in queryset.filter(revoked_at__isnull=True):
            # Expired ones too: the moderator chose them, listed or not.
            revoked += session_revoke_by_key(key=str(session.key), user_id=session.user_id)
        self.message_user(request, f"Revoked {revoked} session(s).", messages.SUCCESS)


# The moderation queue lives beside, in its own module; importing it registers it.
from social import admin_reports  # noqa: E402, F401
