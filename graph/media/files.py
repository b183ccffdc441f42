"""The filesystem storage's files, served by the app itself at MEDIA_URL (the embedded
default), so `make run` shows pictures without a web server in front."""

from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.views.static import serve

from social.media.processing import STORED_EXTENSION, STORED_MIME_TYPE


def media_file(request: HttpRequest, path: str) -> HttpResponseBase:
    # Only what we store: a stored name is random hex with our one extension.
    if not path.endswith(f".{STORED_EXTENSION}") or ".." in path:
        raise Http404
    response: Any = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    if isinstance(response, FileResponse):
        response["Content-Type"] = STORED_MIME_TYPE
    # A stored name is never reused: cached for good.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response  # type: ignore[no-any-return]
