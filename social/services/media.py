"""Uploads: storing a processed image for its owner, attaching it, removing its files.

A Media row is the upload; its files are written before the row and removed after the
commit that deletes it, so a rolled-back write leaves no row without files and a
rolled-back delete keeps them.
"""

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from social.errors import ErrorCode, FieldError, ValidationFailed
from social.media.processing import process_upload
from social.media.storage import delete_files, save_renditions
from social.models import Media, Post, User

ALT_TEXT_MAX_LENGTH = 1500
MAX_MEDIA_PER_POST = 4


def _clean_alt_text(alt_text: str | None) -> str:
    alt = (alt_text or "").strip()
    if len(alt) > ALT_TEXT_MAX_LENGTH:
        raise ValidationFailed(
            field="altText",
            code=ErrorCode.TOO_LONG,
            message=f"Use at most {ALT_TEXT_MAX_LENGTH:,} characters.",
        )
    if "\x00" in alt:
        raise ValidationFailed(
            field="altText", code=ErrorCode.INVALID, message="The text contains a NUL character."
        )
    return alt


def media_upload(*, owner: User, file: IO[bytes], size: int, alt_text: str | None = None) -> Media:
    """Processes and stores an image of `owner`, unattached until a post or the avatar
    uses it. Counts against MEDIA_QUOTA_BYTES, checked under the owner's row lock."""
    alt = _clean_alt_text(alt_text)
    processed = process_upload(file, size=size)
    stored = len(processed.image) + len(processed.thumbnail)
    names = save_renditions(processed)
    try:
        with transaction.atomic():
            # Concurrent uploads of one user wait here, so the sum below is theirs too.
            User.objects.select_for_update().filter(pk=owner.pk).values_list("pk").first()
            used = Media.objects.filter(owner=owner).aggregate(total=Sum("size"))["total"] or 0
            if used + stored > settings.MEDIA_QUOTA_BYTES:
                raise ValidationFailed(
                    field="file",
                    code=ErrorCode.TOO_LARGE,
                    message="Your uploads use all of your storage. Delete some posts first.",
                )
            return Media.objects.create(
                owner=owner,
                file=names[0],
                thumbnail=names[1],
                width=processed.width,
                height=processed.height,
                mime_type=processed.mime_type,
                alt_text=alt,
                size=stored,
            )
    except BaseException:
        delete_files(names)
        raise


def files_of(media: Iterable[Media]) -> list[str]:
    return [name for item in media for name in (item.file, item.thumbnail)]


def delete_files_after_commit(names: Sequence[str]) -> None:
    """The files go once the transaction that removed their rows commits."""
    if names:
        transaction.on_commit(lambda: delete_files(names))


def media_for_post(*, owner: User, ids: Sequence[int] | None) -> list[Media]:
    """The uploads a new post attaches, locked, in the order given (inside a transaction).
    NOT_FOUND for a missing one or someone else's; INVALID for more than 4, a repeat, or
    one already attached."""
    if not ids:
        return []
    if len(ids) > MAX_MEDIA_PER_POST:
        raise ValidationFailed(
            field="mediaIds",
            code=ErrorCode.INVALID,
            message=f"Attach at most {MAX_MEDIA_PER_POST} images.",
        )
    if len(set(ids)) != len(ids):
        raise ValidationFailed(
            field="mediaIds", code=ErrorCode.INVALID, message="Each image can be attached once."
        )
    found = {
        m.pk: m for m in Media.objects.select_for_update().filter(pk__in=ids, owner_id=owner.pk)
    }
    errors: list[FieldError] = []
    if any(pk not in found for pk in ids):
        errors.append(FieldError("mediaIds", ErrorCode.NOT_FOUND, "That upload does not exist."))
    elif any(found[pk].post_id is not None or found[pk].is_avatar for pk in ids):
        errors.append(FieldError("mediaIds", ErrorCode.INVALID, "That upload is already in use."))
    if errors:
        raise ValidationFailed(errors)
    return [found[pk] for pk in ids]


def attach_to_post(*, post: Post, media: Sequence[Media]) -> None:
    """Inside the post's transaction: the uploads become the post's, in order."""
    for position, item in enumerate(media):
        item.post = post
        item.position = position
    Media.objects.bulk_update(media, ["post", "position"])


def avatar_set(*, user: User, media_id: int) -> list[str]:
    """Inside the profile's transaction: the upload becomes the user's avatar; returns the
    files of the avatar it replaces (removed after commit by the caller)."""
    media = Media.objects.select_for_update().filter(pk=media_id, owner_id=user.pk).first()
    if media is None:
        raise ValidationFailed(
            field="avatarMediaId", code=ErrorCode.NOT_FOUND, message="That upload does not exist."
        )
    if media.post_id is not None:
        raise ValidationFailed(
            field="avatarMediaId",
            code=ErrorCode.INVALID,
            message="That upload is already in use.",
        )
    # The current avatar given again (a profile form sends it back with every save): kept.
    replaced = [] if media.is_avatar else avatar_remove(user=user)
    media.is_avatar = True
    media.save(update_fields=["is_avatar"])
    user.avatar_json = media.as_json()
    user.avatar_url = None
    user.save(update_fields=["avatar_json", "avatar_url"])
    return replaced


def avatar_remove(*, user: User) -> list[str]:
    """Inside a transaction: removes the uploaded avatar's row; returns its files."""
    old = list(Media.objects.select_for_update().filter(owner_id=user.pk, is_avatar=True))
    if not old:
        return []
    Media.objects.filter(pk__in=[m.pk for m in old]).delete()
    if user.avatar_json is not None:
        user.avatar_json = None
        user.save(update_fields=["avatar_json"])
    return files_of(old)


def purge_unattached(*, older_than: timedelta | None = None) -> int:
    """Removes uploads never attached within `older_than` (MEDIA_UNATTACHED_HOURS), rows
    and files; returns how many."""
    age = older_than or timedelta(hours=settings.MEDIA_UNATTACHED_HOURS)
    cutoff = timezone.now() - age
    removed = 0
    while True:
        with transaction.atomic():
            batch = list(
                Media.objects.select_for_update(skip_locked=True)
                .filter(post__isnull=True, is_avatar=False, created_at__lt=cutoff)
                .order_by("created_at")[:500]
            )
            if not batch:
                return removed
            Media.objects.filter(pk__in=[m.pk for m in batch]).delete()
            delete_files_after_commit(files_of(batch))
        removed += len(batch)
