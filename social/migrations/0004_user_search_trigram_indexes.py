import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations

import social.migration_operations


class Migration(migrations.Migration):
    dependencies = [
        ("social", "0003_post_is_reply"),
    ]

    # PostgreSQL builds the indexes; on SQLite these only record them in the state.
    operations = [
        social.migration_operations.TrigramExtensionOnPostgres(),
        social.migration_operations.AddIndexOnPostgres(
            model_name="user",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("username"), name="gin_trgm_ops"
                ),
                name="user_username_trgm",
            ),
        ),
        social.migration_operations.AddIndexOnPostgres(
            model_name="user",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("display_name"), name="gin_trgm_ops"
                ),
                name="user_display_name_trgm",
            ),
        ),
    ]
