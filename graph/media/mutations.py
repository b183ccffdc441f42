"""uploadMedia: one image of a GraphQL multipart request (graph/multipart.py)."""

from typing import Any, cast

import strawberry
from django.core.files.uploadedfile import UploadedFile
from strawberry.file_uploads import Upload

from graph.context import Info
from graph.errors import bad_user_input, payload_errors
from graph.node import node_loader
from graph.permissions import require_viewer
from graph.types.common import UserError
from graph.types.media import MediaType
from social.reads import media as media_reads
from social.reads.views import MediaView
from social.services import media


@node_loader("Media")
def _load_media(info: Info, pk: int) -> MediaView | None:
    return media_reads.media_by_id(media_id=pk, viewer_id=info.context.viewer_id)


@strawberry.type
class MediaPayload:
    media: MediaType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MediaMutation:
    @strawberry.mutation(
        description="A multipart request; the upload stays unattached until a post or the "
        "avatar uses it."
    )
    def upload_media(self, info: Info, file: Upload, alt_text: str | None = None) -> MediaPayload:
        viewer = require_viewer(info)
        upload: Any = file
        if not isinstance(upload, UploadedFile):
            raise bad_user_input(
                "`file` must be a file part of a multipart request (the GraphQL multipart "
                "request spec)."
            )
        payload = MediaPayload()
        with payload_errors(payload):
            stored = media.media_upload(
                owner=viewer, file=upload, size=upload.size or 0, alt_text=alt_text
            )
            payload.media = cast(MediaType, media_reads.media_view(stored.as_json()))
        return payload
