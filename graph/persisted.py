"""Persisted documents on /graphql: Apollo's automatic persisted queries (APQ) and a
manifest of trusted documents.

APQ: a client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the
query; a hash this process has not seen answers `PersistedQueryNotFound`
(`PERSISTED_QUERY_NOT_FOUND`), and Apollo's persisted-queries link then sends the query
with its hash once, which registers it. Registered documents live in a bounded LRU per
process (GRAPHQL_APQ_CACHE_SIZE documents, GRAPHQL_APQ_CACHE_BYTES characters), so no
client can grow the store; a process that has not seen a hash just asks for the query.

Trusted documents: GRAPHQL_TRUSTED_DOCUMENTS names a JSON object `{id: document}` (what
Relay and GraphQL Codegen's persisted-documents output write); a client names one by
`documentId` or `id` in the request, or by its sha256 as APQ does. With
GRAPHQL_TRUSTED_ONLY=true nothing else runs: any other document is refused before it is
parsed, and APQ registers nothing.

Everything here only turns a request into the query text; the document then goes through
the same parsing, validation and limits as any other.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers

from graph.auth import has_session_cookie
from graph.errors import BAD_USER_INPUT

# What Apollo's persisted-queries link reads: the message or the code triggers its retry
# with the full query (not found), or turns APQ off for the client (not supported).
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_NOT_SUPPORTED_MESSAGE = "PersistedQueryNotSupported"
# A trusted-only server refusing a document that is not in its manifest.
PERSISTED_QUERY_NOT_TRUSTED = "PERSISTED_QUERY_NOT_TRUSTED"

APQ_VERSION = 1
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedDocumentError(Exception):
    """A persisted-document request that cannot run; answered as one top-level error."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class DocumentStore:
    """Registered APQ documents by sha256: an LRU bounded in entries and in characters."""

    def __init__(self, max_entries: int, max_chars: int) -> None:
        self.max_entries = max_entries
        self.max_chars = max_chars
        self.chars = 0
        self._documents: OrderedDict[str, str] = OrderedDict()
        # Requests run on several threads of a process.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, sha256: str) -> str | None:
        with self._lock:
            document = self._documents.get(sha256)
            if document is not None:
                self._documents.move_to_end(sha256)
            return document

    def put(self, sha256: str, document: str) -> None:
        if len(document) > self.max_chars or self.max_entries <= 0:
            return
        with self._lock:
            old = self._documents.pop(sha256, None)
            if old is not None:
                self.chars -= len(old)
            self._documents[sha256] = document
            self.chars += len(document)
            while len(self._documents) > self.max_entries or self.chars > self.max_chars:
                _, evicted = self._documents.popitem(last=False)
                self.chars -= len(evicted)


_stores: dict[tuple[int, int], DocumentStore] = {}


def apq_store() -> DocumentStore:
    """This process's store, sized by the current settings."""
    key = (int(settings.GRAPHQL_APQ_CACHE_SIZE), int(settings.GRAPHQL_APQ_CACHE_BYTES))
    store = _stores.get(key)
    if store is None:
        store = _stores[key] = DocumentStore(*key)
    return store


@dataclass(frozen=True)
class TrustedDocuments:
    """A manifest: documents by the id clients send, and the sha256 of every document."""

    by_id: dict[str, str]
    by_sha256: dict[str, str]

    def find(self, document_id: str) -> str | None:
        found = self.by_id.get(document_id)
        if found is None:
            # GraphQL Codegen can prefix ids with the algorithm ("sha256:<hex>").
            bare = document_id.removeprefix("sha256:")
            found = self.by_id.get(bare) or self.by_sha256.get(bare)
        return found


@lru_cache(maxsize=4)
def _load_manifest(path: str) -> TrustedDocuments:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"GRAPHQL_TRUSTED_DOCUMENTS: cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ImproperlyConfigured(
            f"GRAPHQL_TRUSTED_DOCUMENTS: {path} must be a JSON object of id to document text"
        )
    return TrustedDocuments(by_id=data, by_sha256={sha256_hex(d): d for d in data.values()})


def trusted_documents() -> TrustedDocuments | None:
    path = settings.GRAPHQL_TRUSTED_DOCUMENTS
    return _load_manifest(str(path)) if path else None


def check_configuration() -> None:
    """Fails at startup on a manifest that cannot be read, not at the first request."""
    if settings.GRAPHQL_TRUSTED_ONLY and not settings.GRAPHQL_TRUSTED_DOCUMENTS:
        raise ImproperlyConfigured("GRAPHQL_TRUSTED_ONLY needs GRAPHQL_TRUSTED_DOCUMENTS")
    trusted_documents()


def _persisted_query_hash(extensions: dict[str, Any] | None) -> str | None:
    """The sha256 of `extensions.persistedQuery`, or None when there is none."""
    if not extensions or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict):
        raise PersistedDocumentError(
            "`extensions.persistedQuery` must be an object with `version` and `sha256Hash`.",
            BAD_USER_INPUT,
            400,
        )
    if persisted.get("version") != APQ_VERSION:
        raise PersistedDocumentError(
            f"Unsupported persisted query version: send `version: {APQ_VERSION}`.",
            BAD_USER_INPUT,
            400,
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
        raise PersistedDocumentError(
            "`extensions.persistedQuery.sha256Hash` must be 64 lowercase hex digits.",
            BAD_USER_INPUT,
            400,
        )
    return sha256


def _not_trusted() -> PersistedDocumentError:
    return PersistedDocumentError(
        "This server runs trusted documents only: send the `documentId` of a document "
        "in its manifest.",
        PERSISTED_QUERY_NOT_TRUSTED,
        400,
    )


def _by_document_id(document_id: str, query: str | None) -> str:
    manifest = trusted_documents()
    document = manifest.find(document_id) if manifest is not None else None
    if document is None:
        raise PersistedDocumentError(
            f"No trusted document has the id {document_id[:100]!r}.",
            PERSISTED_QUERY_NOT_FOUND,
            400,
        )
    if query is not None and query != document:
        raise PersistedDocumentError(
            "The query does not match the trusted document of that `documentId`: send one "
            "or the other.",
            BAD_USER_INPUT,
            400,
        )
    return document


def _by_hash(sha256: str, query: str | None) -> str:
    manifest = trusted_documents()
    if query is not None:
        if sha256_hex(query) != sha256:
            raise PersistedDocumentError(
                "The persisted query's sha256Hash does not match its query.", BAD_USER_INPUT, 400
            )
        if settings.GRAPHQL_TRUSTED_ONLY:
            if manifest is None or sha256 not in manifest.by_sha256:
                raise _not_trusted()
        elif settings.GRAPHQL_APQ:
            apq_store().put(sha256, query)
        return query
    document = manifest.by_sha256.get(sha256) if manifest is not None else None
    if document is not None:
        return document
    if settings.GRAPHQL_TRUSTED_ONLY:
        # Not PersistedQueryNotFound: Apollo would send the query, to be refused anyway.
        raise _not_trusted()
    if not settings.GRAPHQL_APQ:
        raise PersistedDocumentError(
            PERSISTED_QUERY_NOT_SUPPORTED_MESSAGE, PERSISTED_QUERY_NOT_SUPPORTED, 200
        )
    document = apq_store().get(sha256)
    if document is None:
        # 200: an older Apollo link turns APQ off on a 400 instead of retrying.
        raise PersistedDocumentError(
            PERSISTED_QUERY_NOT_FOUND_MESSAGE, PERSISTED_QUERY_NOT_FOUND, 200
        )
    return document


def resolve_query(
    query: str | None, extensions: dict[str, Any] | None, document_id: str | None
) -> str | None:
    """The document text a request asks to run (its own `query` when nothing is persisted).

    Raises PersistedDocumentError for an unknown or mismatched hash or id, malformed
    extensions, or, on a trusted-only server, any document outside the manifest.
    """
    if document_id is not None:
        return _by_document_id(document_id, query)
    sha256 = _persisted_query_hash(extensions)
    if sha256 is not None:
        return _by_hash(sha256, query)
    if settings.GRAPHQL_TRUSTED_ONLY and query is not None:
        manifest = trusted_documents()
        if manifest is None or sha256_hex(query) not in manifest.by_sha256:
            raise _not_trusted()
    return query


def is_anonymous(request: HttpRequest) -> bool:
    """No credentials: the answer is the same for everyone who sends this URL."""
    return "Authorization" not in request.headers and not has_session_cookie(request)


def apply_cache_headers(request: HttpRequest, response: HttpResponseBase, succeeded: bool) -> None:
    """A query over GET from a caller without credentials may be cached by a CDN for
    GRAPHQL_GET_CACHE_SECONDS; anything else over GET (signed in, failed) is never stored."""
    if request.method != "GET" or response.has_header("Cache-Control"):
        return
    # A shared cache must not hand the anonymous page to a request with credentials.
    patch_vary_headers(response, ("Authorization", "Cookie"))
    max_age = int(settings.GRAPHQL_GET_CACHE_SECONDS)
    cacheable = (
        succeeded
        and max_age > 0
        and response.status_code == 200
        and is_anonymous(request)
        and not response.cookies
    )
    if cacheable:
        patch_cache_control(response, public=True, max_age=max_age)
    else:
        patch_cache_control(response, private=True, no_store=True)


def resolve_subscribe_payload(payload: dict[str, Any]) -> None:
    """A graphql-transport-ws `subscribe` payload gets the text of the persisted document
    it names (`documentId` or `extensions.persistedQuery`) as its `query`; on a
    trusted-only server anything else is refused. Raises PersistedDocumentError."""
    query, extensions, document_id = (
        payload.get("query"),
        payload.get("extensions"),
        payload.get("documentId"),
    )
    if not (
        isinstance(query, (str, type(None)))
        and isinstance(extensions, (dict, type(None)))
        and isinstance(document_id, (str, type(None)))
    ):
        return  # the handler refuses the malformed message itself
    resolved = resolve_query(query, extensions, document_id)
    if resolved is not None:
        payload["query"] = resolved
