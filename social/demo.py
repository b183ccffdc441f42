"""The small demo set that `make run` loads into an empty database: the seed code, small."""

from social.seed import SeedConfig, SeedResult, seed

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - printed on start
DEMO_USERNAMES = ("alice", "bob", "carol")
DEMO_CONFIG = SeedConfig(
    users=30,
    posts_per_user=5,
    follows_per_user=6,
    likes_per_user=8,
    seed=7,
    named=DEMO_USERNAMES,
    password=DEMO_PASSWORD,
    progress=False,
)


def load_demo_data() -> SeedResult:
    return seed(DEMO_CONFIG)
