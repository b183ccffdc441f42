"""The benchmarks' own server applications still load: a change to config/asgi.py that broke
one would otherwise surface only in the next benchmark run."""

import os
import subprocess
import sys

CHECK = """
from django.core.handlers.asgi import ASGIHandler
import bench.asgi_stock, bench.ws_floor
assert isinstance(bench.asgi_stock.application.apps["http"], ASGIHandler)
assert callable(bench.ws_floor.application)
"""


def test_the_bench_applications_load() -> None:
    # In a process of its own: config.asgi freezes the garbage collector at import.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test"}
    subprocess.run([sys.executable, "-c", CHECK], check=True, env=env, timeout=120)
