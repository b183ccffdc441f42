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
EVENT_DELIVERY_SECONDS = Histogram(
    "events_delivery_seconds",
    "From the commit that caused a live event to its hand-over to a subscription's GraphQL "
    "execution on this process (clocks of the publishing and delivering hosts).",
    ["kind"],
    # Fine around the 100 ms (targeted) and 1 s (broadcast) targets of bench/RESULTS.md.
    buckets=(
        *(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2, 0.3, 0.4, 0.5),
        *(0.6, 0.75, 0.9, 1, 1.25, 1.5, 2, 3, 5, 10),
    ),
)
GC_PAUSE_SECONDS = Histogram(
    "python_gc_pause_seconds",
    "Time the garbage collector stopped the process, by generation (2 = full collection).",
    ["generation"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EMAILS_SENT = Counter(
    "emails_sent_total", "Emails handed to the mail server, by template.", ["template"]
)
EMAILS_FAILED = Counter(
    "emails_failed_total",
    "Emails that could not be sent (logged; the action that caused them stands), by template.",
    ["template"],
)
