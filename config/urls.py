from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from graph.media.files import media_file
from graph.schema import schema
from graph.views import GraphQLView, bad_request
from observability.views import healthz, metrics, readyz
from social import admin_login

# A request Django refuses before any view (a Host not served) still gets JSON on /graphql.
handler400 = bad_request

urlpatterns = [
    # Ahead of the admin's own view of this path: throttled, and signs the API sessions out.
    path(
        "admin/password_change/",
        admin.site.admin_view(admin_login.password_change),
        name="admin_password_change",
    ),
    path("admin/", admin.site.urls),
    # Also answered by RequestLogMiddleware before the host check; routed for reverse().
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("graphql", GraphQLView.as_view(schema=schema), name="graphql"),
    path("graphql/", GraphQLView.as_view(schema=schema)),
]

if settings.MEDIA_STORAGE == "filesystem" and settings.MEDIA_URL.startswith("/"):
    # The embedded default serves its uploads itself (an S3 bucket or a CDN serves them
    # in production).
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$", media_file))

if settings.BENCH_VIEWS:
    # Benchmark baselines (bench/views.py): never in production routing.
    urlpatterns.append(path("bench/", include("bench.urls")))
