"""The URLs of requests that ask for a stream (config/asgi_http.py picks this URLconf by
the Accept header): /graphql's subscriptions over HTTP, nothing else."""

from django.urls import path

from graph.http_streams import StreamingGraphQLView
from graph.schema import schema

urlpatterns = [
    path("graphql", StreamingGraphQLView.as_view(schema=schema), name="graphql-stream"),
    path("graphql/", StreamingGraphQLView.as_view(schema=schema)),
]
