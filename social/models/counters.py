"""The stored counters belong to the database's triggers
(social/migrations/0006_counters_kept_by_triggers.py), never to a model's save().

A row loaded in `manage.py shell` or an admin form and saved later would otherwise
write back counters that other transactions have moved since it was read.
"""

from collections.abc import Iterable

from django.db import models

USER_COUNTERS = frozenset({"follower_count", "following_count", "post_count"})
POST_COUNTERS = frozenset({"like_count", "reply_count"})


def fields_to_save(
    instance: models.Model, update_fields: Iterable[str] | None, counters: frozenset[str]
) -> Iterable[str] | None:
    """The `update_fields` of a save(): every field but the counters when updating a row.

    A new row is inserted whole (its counters start at 0); named counters are honoured.
    """
    if update_fields is not None or instance._state.adding:
        return update_fields
    return [
        field.name
        for field in instance._meta.concrete_fields
        if not field.primary_key and field.name not in counters
    ]
