"""Counters leave out suspended users as they leave out deactivated ones (issue 19, item 5).

A suspended account (`suspended_at`, 0008) is gone from every list, as a deactivated one
is (social/visibility.py, `users_q`), but the triggers of 0006 counted its follows, likes
and replies: `followerCount` said 3 where `followers` listed 2. A user now counts when
visible, `is_active AND suspended_at IS NULL`; the trigger on social_user fires when either
column moves the user in or out of sight (suspending, unsuspending, deactivating,
reactivating, by a service, the admin, `QuerySet.update()` or raw SQL).

The statements are 0006's with that one condition; the triggers keep their names (and
0006's pause, `social.counters_paused`, on PostgreSQL). Every counter is recounted once.
"""

from django.db import migrations

# `u` is the acting user's row; 0006 tested `u.is_active` alone.
_VISIBLE = "u.is_active AND u.suspended_at IS NULL"

_FOLLOW = f"""
UPDATE social_user SET follower_count = follower_count :SIGN 1
 WHERE id = :ROW.followee_id
   AND EXISTS (SELECT 1 FROM social_user u WHERE u.id = :ROW.follower_id AND {_VISIBLE});
UPDATE social_user SET following_count = following_count :SIGN 1
 WHERE id = :ROW.follower_id
   AND EXISTS (SELECT 1 FROM social_user u WHERE u.id = :ROW.followee_id AND {_VISIBLE});
"""
_LIKE = f"""
UPDATE social_post SET like_count = like_count :SIGN 1
 WHERE id = :ROW.post_id
   AND EXISTS (SELECT 1 FROM social_user u WHERE u.id = :ROW.user_id AND {_VISIBLE});
"""
_POST = f"""
UPDATE social_user SET post_count = post_count :SIGN 1 WHERE id = :ROW.author_id;
UPDATE social_post SET reply_count = reply_count :SIGN 1
 WHERE id = :ROW.reply_to_id
   AND EXISTS (SELECT 1 FROM social_user u WHERE u.id = :ROW.author_id AND {_VISIBLE});
"""
# A user came into sight (or left it): everything they did enters (or leaves) the counts.
_USER_SEEN = """
UPDATE social_user SET follower_count = follower_count + :DELTA
 WHERE id IN (SELECT followee_id FROM social_follow WHERE follower_id = NEW.id);
UPDATE social_user SET following_count = following_count + :DELTA
 WHERE id IN (SELECT follower_id FROM social_follow WHERE followee_id = NEW.id);
UPDATE social_post SET like_count = like_count + :DELTA
 WHERE id IN (SELECT post_id FROM social_like WHERE user_id = NEW.id);
UPDATE social_post SET reply_count = reply_count + :DELTA * (
    SELECT COUNT(*) FROM social_post r
     WHERE r.reply_to_id = social_post.id AND r.author_id = NEW.id)
 WHERE id IN (SELECT reply_to_id FROM social_post WHERE author_id = NEW.id);
"""


def _seen(row: str) -> str:
    return f"({row}.is_active AND {row}.suspended_at IS NULL)"


_DELTA = f"(CASE WHEN {_seen('NEW')} THEN 1 ELSE -1 END)"

_TABLES = [
    ("social_follow", _FOLLOW, "follower_id, followee_id"),
    ("social_like", _LIKE, "user_id, post_id"),
    ("social_post", _POST, "author_id, reply_to_id"),
]


def _rows(statements: str, row: str, sign: str) -> str:
    return statements.replace(":ROW", row).replace(":SIGN", sign)


def _postgres_sql() -> list[str]:
    # CREATE OR REPLACE keeps 0006's row triggers, which call these functions by name.
    sql = [
        f"""CREATE OR REPLACE FUNCTION {table}_counters() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('social.counters_paused', true) = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN {_rows(statements, "OLD", "-")} END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_rows(statements, "NEW", "+")} END IF;
  RETURN NULL;
END $$"""
        for table, statements, _ in _TABLES
    ]
    sql += [
        f"""CREATE OR REPLACE FUNCTION social_user_active_counters() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('social.counters_paused', true) = 'on' THEN RETURN NULL; END IF;
  {_USER_SEEN.replace(":DELTA", _DELTA)} RETURN NULL;
END $$""",
        "DROP TRIGGER IF EXISTS social_user_active_counters ON social_user",
        "CREATE TRIGGER social_user_active_counters "
        "AFTER UPDATE OF is_active, suspended_at ON social_user FOR EACH ROW "
        f"WHEN ({_seen('OLD')} IS DISTINCT FROM {_seen('NEW')}) "
        "EXECUTE FUNCTION social_user_active_counters()",
    ]
    return sql


def _sqlite_sql() -> list[str]:
    sql = []
    for table, statements, columns in _TABLES:
        sql += [
            f"DROP TRIGGER IF EXISTS {table}_counters_{event}"
            for event in ("insert", "delete", "update")
        ]
        sql += [
            f"CREATE TRIGGER {table}_counters_insert AFTER INSERT ON {table} FOR EACH ROW "
            f"BEGIN {_rows(statements, 'NEW', '+')} END",
            f"CREATE TRIGGER {table}_counters_delete AFTER DELETE ON {table} FOR EACH ROW "
            f"BEGIN {_rows(statements, 'OLD', '-')} END",
            f"CREATE TRIGGER {table}_counters_update AFTER UPDATE OF {columns} ON {table} "
            f"FOR EACH ROW BEGIN {_rows(statements, 'OLD', '-')} {_rows(statements, 'NEW', '+')} END",
        ]
    sql += [
        "DROP TRIGGER IF EXISTS social_user_active_counters",
        "CREATE TRIGGER social_user_active_counters "
        "AFTER UPDATE OF is_active, suspended_at ON social_user FOR EACH ROW "
        f"WHEN {_seen('OLD')} IS NOT {_seen('NEW')} "
        f"BEGIN {_USER_SEEN.replace(':DELTA', _DELTA)} END",
    ]
    return sql


_RECOUNT = [
    f"""UPDATE social_user SET
  follower_count = (SELECT COUNT(*) FROM social_follow f JOIN social_user u ON u.id = f.follower_id
                     WHERE f.followee_id = social_user.id AND {_VISIBLE}),
  following_count = (SELECT COUNT(*) FROM social_follow f JOIN social_user u ON u.id = f.followee_id
                      WHERE f.follower_id = social_user.id AND {_VISIBLE}),
  post_count = (SELECT COUNT(*) FROM social_post p WHERE p.author_id = social_user.id)""",
    f"""UPDATE social_post SET
  like_count = (SELECT COUNT(*) FROM social_like l JOIN social_user u ON u.id = l.user_id
                 WHERE l.post_id = social_post.id AND {_VISIBLE}),
  reply_count = (SELECT COUNT(*) FROM social_post r JOIN social_user u ON u.id = r.author_id
                  WHERE r.reply_to_id = social_post.id AND {_VISIBLE})""",
]


def leave_out_suspended(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise RuntimeError(f"counter triggers are written for PostgreSQL and SQLite, not {vendor}")
    for statement in _postgres_sql() if vendor == "postgresql" else _sqlite_sql():
        schema_editor.execute(statement, params=None)
    for statement in _RECOUNT:
        schema_editor.execute(statement, params=None)


def count_suspended_again(apps, schema_editor):
    # Back to 0006's triggers and counts: its functions, run again, replace these.
    module = __import__(
        "social.migrations.0006_counters_kept_by_triggers", fromlist=["drop_triggers"]
    )
    module.drop_triggers(apps, schema_editor)
    module.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("social", "0010_follow_requests_and_locked_accounts")]

    operations = [migrations.RunPython(leave_out_suspended, count_suspended_again)]
