"""The per-user quota holds for uploads racing each other (the owner's row lock)."""

import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from social.errors import ValidationFailed
from social.models import Media
from social.services import media
from social.services.media import media_upload
from tests import media_files
from tests.factories import make_user
from tests.services import require_postgres_database


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_cannot_pass_the_quota_together(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_postgres_database()
    user = make_user("racer")
    data = media_files.png((300, 300), mode="RGB")
    started = time.time()
    first = media_upload(owner=user, file=io.BytesIO(data), size=len(data))
    # Room for one more upload of the same size, not two.
    settings.MEDIA_QUOTA_BYTES = first.size * 2 + first.size // 2
    settings.MEDIA_PROCESSING_CONCURRENCY = 4
    # Every upload reaches its quota check at the same moment, its files written.
    barrier = threading.Barrier(4)
    saved = media.save_renditions

    def save_then_meet(processed: Any) -> tuple[str, str]:
        names = saved(processed)
        barrier.wait(timeout=30)
        return names

    monkeypatch.setattr(media, "save_renditions", save_then_meet)
    outcomes: list[str] = []

    def upload() -> None:
        try:
            media_upload(owner=user, file=io.BytesIO(data), size=len(data))
            outcomes.append("stored")
        except ValidationFailed as exc:
            outcomes.append(exc.errors[0].code.value)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["TOO_LARGE", "TOO_LARGE", "TOO_LARGE", "stored"]
    assert Media.objects.filter(owner=user).count() == 2
    # The refused uploads' files went with them.
    kept = {name for m in Media.objects.filter(owner=user) for name in (m.file, m.thumbnail)}
    root = Path(settings.MEDIA_ROOT)
    assert kept <= {str(p.relative_to(root)) for p in root.rglob("*.webp")}
    assert not any(
        str(p.relative_to(root)) not in kept
        for p in root.rglob("*.webp")
        if p.stat().st_mtime >= started
    )
