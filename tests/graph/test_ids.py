"""A global ID names one object in one form: the one the API writes."""

import base64

import pytest

from graph.ids import global_id, parse_global_id


def _raw(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_the_written_form_reads_back() -> None:
    assert parse_global_id(global_id("Post", 12)) == ("Post", 12)


@pytest.mark.parametrize(
    "text", ["Post: 12", "Post:+12", "Post:012", "Post:12 ", "Post:\u0661\u0662", "Post:1_2"]
)
def test_other_spellings_of_a_number_name_nothing(text: str) -> None:
    assert parse_global_id(_raw(text)) is None


@pytest.mark.parametrize("text", ["Post:0", "Post:-1", "Post:9223372036854775808", "Post:x"])
def test_numbers_no_row_can_have_name_nothing(text: str) -> None:
    assert parse_global_id(_raw(text)) is None
