"""Which backend this configuration uses, in the words `make run` prints on start."""

from django.conf import settings


def backend_description() -> str:
    """ "SQLite + in-process events" (the embedded default) or "PostgreSQL + Redis"."""
    return describe(engine=settings.DATABASES["default"]["ENGINE"], redis_url=settings.REDIS_URL)


def describe(*, engine: str, redis_url: str) -> str:
    database = {
        "django.db.backends.postgresql": "PostgreSQL",
        "config.postgresql": "PostgreSQL",  # Django's, with a pool that recovers at once
        "django.db.backends.sqlite3": "SQLite",
    }.get(engine, engine.rsplit(".", 1)[-1])
    events = "Redis" if redis_url else "in-process events"
    return f"{database} + {events}"
