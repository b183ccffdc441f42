from django.conf import settings
from django.db import models


class Media(models.Model):
    """An uploaded image, re-encoded (social/media/processing.py), owned by its uploader.

    Unattached until a post or the owner's avatar uses it; `purge_media` removes what stays
    unattached. The stored names are random (social/media/storage.py), never the client's.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media"
    )
    post = models.ForeignKey(
        "social.Post", on_delete=models.CASCADE, null=True, blank=True, related_name="media"
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_avatar = models.BooleanField(default=False)
    file = models.CharField(max_length=200)
    thumbnail = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mime_type = models.CharField(max_length=50)
    alt_text = models.TextField(blank=True, default="")
    # Bytes stored for both renditions: what the owner's quota counts.
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "created_at"], name="media_owner_created_idx"),
            # purge_media: unattached uploads, oldest first.
            models.Index(
                fields=["created_at"],
                condition=models.Q(post__isnull=True, is_avatar=False),
                name="media_unattached_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Media {self.pk} of {self.owner_id}"

    def as_json(self) -> dict[str, object]:
        """The denormalised form kept on the post (`media_json`) or user (`avatar_json`)."""
        return {
            "id": self.pk,
            "file": self.file,
            "thumb": self.thumbnail,
            "width": self.width,
            "height": self.height,
            "mime": self.mime_type,
            "alt": self.alt_text,
        }
