"""`extensions.code` values of top-level errors, beside graph.errors' contract codes."""

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
# The database (or another backing service) cannot answer right now: retry shortly.
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
