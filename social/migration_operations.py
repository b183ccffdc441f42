"""Migration operations that change only a PostgreSQL database.

Their state changes apply everywhere (the models declare the same indexes), so the
migration history stays the same on the embedded SQLite default, which has neither the
pg_trgm extension nor GIN indexes.
"""

from typing import Any

from django.contrib.postgres.operations import TrigramExtension
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations import AddIndex, AlterField
from django.db.migrations.operations.base import Operation


def _on_postgres(schema_editor: BaseDatabaseSchemaEditor) -> bool:
    return bool(schema_editor.connection.vendor == "postgresql")


class _OnPostgresOnly(Operation):
    """Changes the database, either way, only when it is PostgreSQL."""

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, *args: Any
    ) -> None:
        if _on_postgres(schema_editor):
            super().database_forwards(app_label, schema_editor, *args)

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, *args: Any
    ) -> None:
        if _on_postgres(schema_editor):
            super().database_backwards(app_label, schema_editor, *args)


class TrigramExtensionOnPostgres(_OnPostgresOnly, TrigramExtension):
    """`CREATE EXTENSION pg_trgm` on PostgreSQL; nothing elsewhere."""


class AddIndexOnPostgres(_OnPostgresOnly, AddIndex):
    """An index only PostgreSQL can build (GIN): added to the state everywhere, built there."""


class AlterFieldOnPostgres(_OnPostgresOnly, AlterField):
    """A field change that only drops or adds its index: made on PostgreSQL, in the state
    everywhere. SQLite would rebuild the table for it, and lose the counters' triggers."""
