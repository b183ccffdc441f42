import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def sessions_from_families(apps, schema_editor):
    """Each refresh-token family (one login) becomes a session keyed by the family's UUID."""
    RefreshToken = apps.get_model("social", "RefreshToken")
    Session = apps.get_model("social", "Session")
    families = {}
    for token in RefreshToken.objects.order_by("created_at").iterator():
        session = families.get(token.family)
        if session is None:
            session = families[token.family] = Session.objects.create(
                user_id=token.user_id,
                key=token.family,
                created_at=token.created_at,
                last_used_at=token.created_at,
            )
        session.last_used_at = token.created_at
        if token.revoked_at is not None:
            session.revoked_at = token.revoked_at
        session.save(update_fields=["last_used_at", "revoked_at"])
        token.session_id = session.pk
        token.save(update_fields=["session"])


class Migration(migrations.Migration):
    dependencies = [
        ("social", "0004_user_search_trigram_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SessionRevocation",
            fields=[
                ("key", models.UUIDField(primary_key=True, serialize=False)),
                ("revoked_at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="Session",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("last_used_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("user_agent", models.CharField(blank=True, default="", max_length=512)),
                ("revoked_at", models.DateTimeField(blank=True, null=True)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="sessions", to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.AddIndex(
            model_name="session",
            index=models.Index(fields=["user", "-last_used_at"], name="session_user_used_idx"),
        ),
        migrations.AddField(
            model_name="refreshtoken",
            name="session",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="refresh_tokens", to="social.session"),
        ),
        migrations.RunPython(sessions_from_families, migrations.RunPython.noop),
        migrations.RemoveField(model_name="refreshtoken", name="family"),
        migrations.AlterField(
            model_name="refreshtoken",
            name="session",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="refresh_tokens", to="social.session"),
        ),
    ]
