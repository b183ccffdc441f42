"""Prometheus metrics of this process, exposed at /metrics."""

from prometheus_client import Counter, Gauge, Histogram

GRAPHQL_REQUEST_SECONDS = Histogram(
    "graphql_request_duration_seconds",
    "Time to answer a GraphQL operation over HTTP.",
    ["operation_name", "operation_type"],
)
GRAPHQL_ERRORS = Counter(
    "graphql_errors_total", "GraphQL errors returned to clients, by extensions.code.", ["code"]
)
WEBSOCKETS_OPEN = Gauge("graphql_websockets_open", "Open GraphQL WebSocket connections.")
SUBSCRIPTIONS_ACTIVE = Gauge("graphql_subscriptions_active", "Running GraphQL subscriptions.")
EVENTS_PUBLISHED = Counter(
    "events_published_total", "Events handed to the broker after commit.", ["kind"]
)
EVENTS_DELIVERED = Counter(
    "events_delivered_total", "Events delivered to a subscription on this process.", ["kind"]
)
