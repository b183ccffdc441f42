import strawberry
from strawberry import relay

from graph.types.common import encoded_global_id, read_field
from social.media.storage import absolute_url
from social.reads.views import MediaView


def _media_id(media: MediaView) -> str:
    return encoded_global_id("Media", media.id)


@strawberry.type(
    name="Media",
    description="An uploaded image, re-encoded by the server, its metadata (EXIF, GPS) removed.",
)
class MediaType(relay.Node):
    pk: relay.NodeID[int]
    width: int
    height: int
    mime_type: str = strawberry.field(
        description="The stored format, e.g. image/webp or image/jpeg."
    )
    alt_text: str = strawberry.field(
        description="Text for screen readers; at most 1,500 characters."
    )

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return type(obj) is MediaView

    _id = read_field(
        _media_id, relay.GlobalID, name="id", description="The Globally Unique ID of this object"
    )
    # Views read where no request's origin was known (the live side) hold paths.
    _url = read_field(
        lambda media: absolute_url(media.url),
        str,
        name="url",
        description="Absolute URL of the processed image (at most 2048 px on its longer side).",
    )
    _thumbnail_url = read_field(
        lambda media: absolute_url(media.thumbnail_url),
        str,
        name="thumbnailUrl",
        description="Absolute URL of a rendition at most 400 px on its longer side.",
    )
