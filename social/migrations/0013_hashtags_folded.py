"""Stored hashtags in their one folded form (social.text.fold_tag): NFKC, then lower-cased.

Tags stored before were only lower-cased, so "café" written with a combining accent, or a tag
in fullwidth letters, did not match the same tag written otherwise."""

import unicodedata

from django.db import migrations


def _fold(tag):
    # social.text.fold_tag as of this migration (a migration keeps its own copy).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", tag).lower())


def fold_stored_tags(apps, schema_editor):
    PostHashtag = apps.get_model("social", "PostHashtag")
    # Only tags with a character outside printable ASCII can change.
    for row in PostHashtag.objects.filter(tag__regex=r"[^ -~]").iterator():
        folded = _fold(row.tag)
        if folded == row.tag:
            continue
        if PostHashtag.objects.filter(post_id=row.post_id, tag=folded).exists():
            row.delete()  # the post carries the tag in its other form already
        else:
            PostHashtag.objects.filter(pk=row.pk).update(tag=folded[:100])


class Migration(migrations.Migration):
    dependencies = [("social", "0012_media_uploads_and_avatar")]

    operations = [migrations.RunPython(fold_stored_tags, migrations.RunPython.noop)]
