"""What /graphql may answer, by the request's Accept header: JSON, or for a subscription a
stream (graph/http_streams.py) in one of the two protocols below."""

from collections.abc import Iterable, Mapping

from django.conf import settings
from strawberry.http.streaming import (
    HTTPStreamTransport,
    MultipartSubscriptionTransport,
    SSETransport,
)
from strawberry.subscriptions import GRAPHQL_SSE_PROTOCOL, MULTIPART_SUBSCRIPTION_PROTOCOL
from strawberry.types.graphql import OperationType

from social.caches import sized_lru_cache


def _subscriptions_only(allowed: set[OperationType]) -> Iterable[OperationType]:
    return (OperationType.SUBSCRIPTION,) if OperationType.SUBSCRIPTION in allowed else ()


class MultipartStream(MultipartSubscriptionTransport):
    """Apollo's multipart subscriptions, heartbeats every HTTP_STREAM_KEEPALIVE_INTERVAL."""

    def __init__(self) -> None:
        super().__init__()
        self.heartbeat_interval = float(settings.HTTP_STREAM_KEEPALIVE_INTERVAL)

    @property
    def headers(self) -> Mapping[str, str]:
        return {**super().headers, "Cache-Control": "no-cache, no-transform"}


class SSEStream(SSETransport):
    """graphql-sse's distinct-connections mode, subscriptions only."""

    def __init__(self) -> None:
        super().__init__(float(settings.HTTP_STREAM_KEEPALIVE_INTERVAL))

    def allowed_operation_types(self, allowed: set[OperationType]) -> Iterable[OperationType]:
        return _subscriptions_only(allowed)


TRANSPORTS: dict[str, type[HTTPStreamTransport]] = {
    MULTIPART_SUBSCRIPTION_PROTOCOL: MultipartStream,
    GRAPHQL_SSE_PROTOCOL: SSEStream,
}


# JSON answers, as clients list them beside a stream type (urql lists every type it reads,
# JSON first: its queries must get JSON, not a stream).
_JSON = frozenset(
    {"application/json", "application/graphql-response+json", "application/graphql+json", "*/*"}
)


def stream_transport(accept: str) -> HTTPStreamTransport | None:
    """The stream the Accept header prefers to JSON: listed before any JSON type (Apollo's
    HttpLink lists multipart first for a subscription, graphql-sse sends its type alone)."""
    return _stream_transport(accept) if prefers_stream(accept) else None


# Keyed by a header the client sends: sized LRUs (docs/security.md, "Client-keyed caches").
# A client sends the same Accept header on every request; deciding it again made a stream
# transport per media range per request, twice (the ASGI handler, then the view).
@sized_lru_cache("HTTP_VIEW_CACHE_SIZE")
def prefers_stream(accept: str) -> bool:
    """Whether the Accept header prefers a stream to JSON (`stream_transport`)."""
    return _stream_transport(accept) is not None


def _stream_transport(accept: str) -> HTTPStreamTransport | None:
    for media_range in accept.split(","):
        if media_range.split(";", 1)[0].strip().lower() in _JSON:
            return None
        for transport_class in TRANSPORTS.values():
            transport = transport_class()
            if transport.accepts(media_range.strip()):
                return transport
    return None


# The media types of the JSON answer (and GraphiQL's page, for a browser's GET).
_SERVED = frozenset(
    {
        "*/*",
        "application/*",
        "application/json",
        "application/graphql-response+json",
        "application/graphql+json",
        "text/*",
        "text/html",
    }
)


@sized_lru_cache("HTTP_VIEW_CACHE_SIZE")
def acceptable(accept: str) -> bool:
    """Whether /graphql can answer a request with this Accept header (else 406)."""
    if not accept.strip() or any(
        transport_class().accepts(media_range.strip())
        for media_range in accept.split(",")
        for transport_class in TRANSPORTS.values()
    ):
        return True
    for media_range in accept.split(","):
        media_type, *params = media_range.split(";")
        quality = next((p.split("=", 1)[1] for p in params if p.strip().startswith("q=")), "1")
        if media_type.strip().lower() in _SERVED and quality.strip() not in ("0", "0.0", "0.00"):
            return True
    return False


GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"


@sized_lru_cache("HTTP_VIEW_CACHE_SIZE")
def response_content_type(accept: str) -> str:
    """The media type of an answer in the GraphQL response shape: the GraphQL-over-HTTP type
    when the Accept header lists it, so the client reads the body as a GraphQL response
    (Apollo Client 4 parses a 4xx body only under that type: under application/json its
    errors and their codes reach the app as an opaque ServerError)."""
    for media_range in accept.split(","):
        media_type, *params = media_range.split(";")
        if media_type.strip().lower() == GRAPHQL_RESPONSE_JSON and _quality(params) > 0:
            return GRAPHQL_RESPONSE_JSON
    return "application/json"


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0
