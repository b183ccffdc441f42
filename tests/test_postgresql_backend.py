"""Pins the Django and psycopg_pool internals config/postgresql/base.py relies on."""

import inspect

import django
import psycopg_pool
from django.db.backends.postgresql import base


def test_the_pinned_versions_are_installed() -> None:
    assert django.get_version() == "5.2.19"
    assert psycopg_pool.__version__ == "3.3.3"


def test_django_builds_its_pool_in_the_overridden_property() -> None:
    source = inspect.getsource(base.DatabaseWrapper)
    assert isinstance(base.DatabaseWrapper.__dict__["pool"], property)
    assert isinstance(base.DatabaseWrapper._connection_pools, dict)
    assert callable(base.DatabaseWrapper._configure_connection)
    # Connections are taken with pool.open() + pool.getconn() and returned to their own pool.
    assert "self.pool.open()" in source and "self.pool.getconn()" in source
    assert "self.connection._pool.putconn(self.connection)" in source
    assert "self.pool.close()" in source
