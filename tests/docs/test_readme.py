"""What a newcomer must find in the README without leaving it."""

from pathlib import Path

from config.backend import describe

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
FIRST_SCREEN = 50  # lines: what shows before any scrolling on a laptop


def _section(heading: str) -> str:
    start = README.index(f"\n## {heading}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def test_the_first_screen_says_how_to_point_a_frontend_at_the_api() -> None:
    line = README[: README.index("\n## Point a frontend at the API\n")].count("\n") + 1
    assert line <= FIRST_SCREEN
    section = _section("Point a frontend at the API")
    for needed in ("http://127.0.0.1:8000/graphql", "ws://127.0.0.1:8000/graphql"):
        assert needed in section
    assert "http://localhost:<any port>" in section  # development: nothing to configure
    assert "CORS_ALLOWED_ORIGINS=" in section  # production: the origins to list


def test_the_backend_banner_is_quoted_as_make_run_prints_it() -> None:
    sqlite = describe(engine="django.db.backends.sqlite3", redis_url="")
    postgres = describe(engine="config.postgresql", redis_url="redis://127.0.0.1:6379/0")
    assert f"`Backend: {sqlite}`" in README and f"`Backend: {postgres}`" in README


def test_it_says_what_skips_on_a_bare_machine_and_how_to_run_it_all() -> None:
    section = _section("PostgreSQL, Redis and the whole test suite")
    for needed in ("PostgreSQL", "Redis", "Node", "Chromium", "make node-deps", "CI=true"):
        assert needed in section, needed
