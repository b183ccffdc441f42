"""schema.graphql is current, and it keeps every promise of the API contract."""

import os
from pathlib import Path

import pytest
from graphql import build_schema, find_breaking_changes

from graph.schema import schema
from tests.services import IN_CI

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = Path(os.environ.get("CONTRACT_PATH", ROOT.parent / "shared" / "contract.graphql"))

# Contract operations and types not built yet, each removed by the issue that builds it.
PENDING_SAFETY: set[str] = set()  # issue 13: built
PENDING_ACCOUNTS: set[str] = set()  # issue 14: built
PENDING_MEDIA: set[str] = set()  # issue 15: built
PENDING_LIVE: set[str] = set()  # issue 18: built
PENDING: set[str] = PENDING_SAFETY | PENDING_ACCOUNTS | PENDING_MEDIA | PENDING_LIVE


def _subject(description: str) -> str:
    """ "Field User.posts was removed." -> "User.posts"; "Post was removed." -> "Post";
    "Enum value ErrorCode.BLOCKED was removed." -> "ErrorCode.BLOCKED"."""
    words = description.removeprefix("Field ").removeprefix("Enum value ").split(" ")
    return words[0].rstrip(".")


def test_checked_in_schema_is_current() -> None:
    checked_in = (ROOT / "schema.graphql").read_text()
    assert checked_in.strip() == schema.as_str().strip(), (
        "schema.graphql is stale: run `make schema`"
    )


def test_schema_keeps_the_contract() -> None:
    if not CONTRACT.exists():
        if IN_CI:
            pytest.fail(f"the API contract is missing at {CONTRACT}")
        pytest.skip(f"the API contract is not beside the project ({CONTRACT})")
    contract = build_schema(CONTRACT.read_text())
    ours = build_schema(schema.as_str())
    breaking = [
        change.description
        for change in find_breaking_changes(contract, ours)
        if _subject(change.description) not in PENDING
    ]
    assert breaking == []


def test_pending_names_are_not_built_yet() -> None:
    """An issue that builds a contract name removes it from PENDING."""
    if not CONTRACT.exists():
        pytest.skip(f"the API contract is not beside the project ({CONTRACT})")
    contract = build_schema(CONTRACT.read_text())
    ours = build_schema(schema.as_str())
    missing = {_subject(c.description) for c in find_breaking_changes(contract, ours)}
    assert PENDING - missing == set()
