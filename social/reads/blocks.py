"""The users the viewer blocked, as a list (the flags are social/reads/flags.py's)."""

from typing import Any

from django.db.models import QuerySet

from social.models import Block
from social.reads.users import link_rows

BLOCK_ORDER = ("-created_at", "-id")


def blocked_rows(*, viewer_id: int) -> QuerySet[Any]:
    """The users the viewer blocked as rows (`view_of`, then the block's created_at and
    id): page with BLOCK_ORDER, reading the keys with `row_keys`."""
    return link_rows(Block.objects.filter(blocker_id=viewer_id), "blocked", viewer_id)
