"""Bench-only routes, included by config/urls.py only when settings.BENCH_VIEWS is on."""

from django.urls import path

from bench.views import home_feed

urlpatterns = [path("home-feed", home_feed, name="bench-home-feed")]
