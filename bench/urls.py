"""Bench-only routes, included by config/urls.py only when settings.BENCH_VIEWS is on."""

from django.urls import path

from bench.views import home_feed, home_page, public_page

urlpatterns = [
    path("home-feed", home_feed, name="bench-home-feed"),
    path("home-page", home_page, name="bench-home-page"),
    path("public-page", public_page, name="bench-public-page"),
]
