"""Stored counters kept exact by the database itself, on PostgreSQL and SQLite.

Every way a row can go (a service, the admin, `manage.py shell`, QuerySet.delete(), a
cascade, raw SQL) passes through these triggers, so the counters cannot drift. A
deactivated user's follows, likes and replies count nowhere, as they show in no list:
the trigger on `social_user.is_active` takes them out of (and back into) the counts.

On PostgreSQL a bulk loader may pause them for its own transaction only
(`SET LOCAL social.counters_paused = 'on'`, as social/seed.py does before it recounts).

Counted, per row:
- user.follower_count: follows of the user by active users
- user.following_count: follows by the user of active users
- user.post_count: the user's posts (replies included)
- post.like_count: likes of the post by active users
- post.reply_count: replies to the post by active authors
"""

from django.db import migrations

# Statements shared by both databases; :ROW is NEW or OLD, :SIGN is + or -.
_FOLLOW = """
UPDATE social_user SET follower_count = follower_count :SIGN 1
 WHERE id = :ROW.followee_id
   AND EXISTS (SELECT 1 FROM social_user u WHERE u.id = :ROW.follower_id AND u.is_active);
UPDATE social_user SET following_count = following_count :SIGN 1
 WHERE id = :ROW.follower_id
   AND EXISTS (SELECT 1 FROM social_user u WHERE u.id = :ROW.followee_id AND u.is_active);
"""
_LIKE = """
UPDATE social_post SET like_count = like_count :SIGN 1
 WHERE id = :ROW.post_id
   AND EXISTS (SELECT 1 FROM social_user u WHERE u.id = :ROW.user_id AND u.is_active);
"""
_POST = """
UPDATE social_user SET post_count = post_count :SIGN 1 WHERE id = :ROW.author_id;
UPDATE social_post SET reply_count = reply_count :SIGN 1
 WHERE id = :ROW.reply_to_id
   AND EXISTS (SELECT 1 FROM social_user u WHERE u.id = :ROW.author_id AND u.is_active);
"""
# A user (de)activated: everything they did enters (or leaves) the counts. :DELTA is 1 or -1.
_USER_ACTIVE = """
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

# (table, statements, the columns whose change moves a row between counts)
_TABLES = [
    ("social_follow", _FOLLOW, "follower_id, followee_id"),
    ("social_like", _LIKE, "user_id, post_id"),
    ("social_post", _POST, "author_id, reply_to_id"),
]


def _rows(statements: str, row: str, sign: str) -> str:
    return statements.replace(":ROW", row).replace(":SIGN", sign)


def _postgres_sql() -> list[str]:
    sql = []
    for table, statements, columns in _TABLES:
        sql.append(
            f"""CREATE OR REPLACE FUNCTION {table}_counters() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('social.counters_paused', true) = 'on' THEN RETURN NULL; END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN {_rows(statements, "OLD", "-")} END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_rows(statements, "NEW", "+")} END IF;
  RETURN NULL;
END $$"""
        )
        sql.append(
            f"CREATE TRIGGER {table}_counters AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_counters()"
        )
    delta = "(CASE WHEN NEW.is_active THEN 1 ELSE -1 END)"
    sql.append(
        f"""CREATE OR REPLACE FUNCTION social_user_active_counters() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('social.counters_paused', true) = 'on' THEN RETURN NULL; END IF;
  {_USER_ACTIVE.replace(":DELTA", delta)} RETURN NULL;
END $$"""
    )
    sql.append(
        "CREATE TRIGGER social_user_active_counters AFTER UPDATE OF is_active ON social_user "
        "FOR EACH ROW WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active) "
        "EXECUTE FUNCTION social_user_active_counters()"
    )
    return sql


def _sqlite_sql() -> list[str]:
    sql = []
    for table, statements, columns in _TABLES:
        sql.append(
            f"CREATE TRIGGER {table}_counters_insert AFTER INSERT ON {table} FOR EACH ROW "
            f"BEGIN {_rows(statements, 'NEW', '+')} END"
        )
        sql.append(
            f"CREATE TRIGGER {table}_counters_delete AFTER DELETE ON {table} FOR EACH ROW "
            f"BEGIN {_rows(statements, 'OLD', '-')} END"
        )
        sql.append(
            f"CREATE TRIGGER {table}_counters_update AFTER UPDATE OF {columns} ON {table} "
            f"FOR EACH ROW BEGIN {_rows(statements, 'OLD', '-')} {_rows(statements, 'NEW', '+')} END"
        )
    delta = "(CASE WHEN NEW.is_active THEN 1 ELSE -1 END)"
    sql.append(
        "CREATE TRIGGER social_user_active_counters AFTER UPDATE OF is_active ON social_user "
        "FOR EACH ROW WHEN OLD.is_active IS NOT NEW.is_active "
        f"BEGIN {_USER_ACTIVE.replace(':DELTA', delta)} END"
    )
    return sql


# The counts as the triggers define them, set once from the rows.
_RECOUNT = [
    """UPDATE social_user SET
  follower_count = (SELECT COUNT(*) FROM social_follow f JOIN social_user u ON u.id = f.follower_id
                     WHERE f.followee_id = social_user.id AND u.is_active),
  following_count = (SELECT COUNT(*) FROM social_follow f JOIN social_user u ON u.id = f.followee_id
                      WHERE f.follower_id = social_user.id AND u.is_active),
  post_count = (SELECT COUNT(*) FROM social_post p WHERE p.author_id = social_user.id)""",
    """UPDATE social_post SET
  like_count = (SELECT COUNT(*) FROM social_like l JOIN social_user u ON u.id = l.user_id
                 WHERE l.post_id = social_post.id AND u.is_active),
  reply_count = (SELECT COUNT(*) FROM social_post r JOIN social_user u ON u.id = r.author_id
                  WHERE r.reply_to_id = social_post.id AND u.is_active)""",
]

_DROP_POSTGRES = [
    *(f"DROP TRIGGER IF EXISTS {table}_counters ON {table}" for table, _, _ in _TABLES),
    *(f"DROP FUNCTION IF EXISTS {table}_counters()" for table, _, _ in _TABLES),
    "DROP TRIGGER IF EXISTS social_user_active_counters ON social_user",
    "DROP FUNCTION IF EXISTS social_user_active_counters()",
]
_DROP_SQLITE = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_counters_{event}"
        for table, _, _ in _TABLES
        for event in ("insert", "delete", "update")
    ),
    "DROP TRIGGER IF EXISTS social_user_active_counters",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise RuntimeError(f"counter triggers are written for PostgreSQL and SQLite, not {vendor}")
    for statement in _postgres_sql() if vendor == "postgresql" else _sqlite_sql():
        schema_editor.execute(statement, params=None)
    for statement in _RECOUNT:
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in _DROP_POSTGRES if vendor == "postgresql" else _DROP_SQLITE:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("social", "0005_sessions_and_email_verified")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
