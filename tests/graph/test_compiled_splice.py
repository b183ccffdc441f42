"""Splicing the rule book's SQL fragments into a compiled statement's own parameters."""

import pytest

from graph.compiled.visibility import cast_of, spliced
from social.visibility import VIEWER, SqlFragment, posts_sql, users_sql


def _splice(fragment: SqlFragment) -> tuple[str, list[object]]:
    values: list[object] = []

    def value(v: object) -> str:
        values.append(v)
        return f"%(c{len(values)})s"

    return spliced(fragment, viewer=lambda: "%(viewer)s", value=value), values


def test_each_placeholder_becomes_a_parameter_of_the_statement() -> None:
    fragment = SqlFragment("u.id <> %s AND %s = 'a%%b' AND u.x = %s", (7, VIEWER, "x'y"))
    assert _splice(fragment) == (
        "(u.id <> %(c1)s AND %(viewer)s = 'a%%b' AND u.x = %(c2)s)",
        [7, "x'y"],
    )


@pytest.mark.parametrize(
    "fragment",
    [
        SqlFragment("u.id = %s"),
        SqlFragment("u.active", (1,)),
        SqlFragment("u.id = %(named)s", (1,)),
    ],
)
def test_a_fragment_whose_placeholders_and_parameters_disagree_is_refused(
    fragment: SqlFragment,
) -> None:
    with pytest.raises(ValueError):
        _splice(fragment)


def test_the_rule_books_fragments_splice() -> None:
    assert _splice(users_sql(user="u1"))[0].startswith("(")
    assert _splice(posts_sql(post="p1", author="a1", feed=True))[0].startswith("(")


def test_constants_are_bound_with_their_type() -> None:
    assert [cast_of(v) for v in (True, 3, "t", 1.5)] == ["boolean", "bigint", "text", None]
