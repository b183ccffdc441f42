from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from graph.schema import schema
from graph.views import GraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql", GraphQLView.as_view(schema=schema), name="graphql"),
    path("graphql/", GraphQLView.as_view(schema=schema)),
]

if settings.BENCH_VIEWS:
    # Benchmark baselines (bench/views.py): never in production routing.
    urlpatterns.append(path("bench/", include("bench.urls")))
