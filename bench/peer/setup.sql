-- The peer's view of the home feed: PostGraphile 4 exposes tables by itself, but a
-- per-viewer feed needs a function. The viewer comes from the verified JWT's `sub`
-- claim, which PostGraphile puts in the `jwt.claims.sub` setting of each transaction.
-- Idempotent: run before every benchmark.
CREATE SCHEMA IF NOT EXISTS bench_peer;

CREATE OR REPLACE FUNCTION bench_peer.viewer_id() RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('jwt.claims.sub', true), '')::bigint
$$;

-- Posts by the viewer and by the people the viewer follows, newest first.
CREATE OR REPLACE FUNCTION bench_peer.home_feed() RETURNS SETOF public.social_post
LANGUAGE sql STABLE AS $$
  SELECT p.* FROM public.social_post p
  -- One IN over a UNION ALL, not "author = viewer OR author IN (...)": the OR form walks
  -- the whole created_at index (EXPLAIN ANALYZE in bench/RESULTS.md).
  WHERE p.author_id IN (SELECT f.followee_id FROM public.social_follow f
                        WHERE f.follower_id = bench_peer.viewer_id()
                        UNION ALL SELECT bench_peer.viewer_id())
  ORDER BY p.created_at DESC, p.id DESC
$$;

-- Computed columns: PostGraphile adds social_post_<name>(social_post) as Post.<name>;
-- they must live in the table's schema.
CREATE OR REPLACE FUNCTION public.social_post_viewer_has_liked(p public.social_post)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM public.social_like l
                 WHERE l.post_id = p.id AND l.user_id = bench_peer.viewer_id())
$$;

CREATE OR REPLACE FUNCTION public.social_post_hashtags(p public.social_post)
RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg(h.tag ORDER BY h.position), '{}')
  FROM public.social_posthashtag h WHERE h.post_id = p.id
$$;

-- The bench database is throw-away, but the peer still should not serve password hashes.
COMMENT ON COLUMN public.social_user.password IS E'@omit';

-- The compiled-path bench (bench/compiled_bench.py): the public feed (top-level posts of
-- active users, as ours) and whether the viewer follows a user.
CREATE OR REPLACE FUNCTION bench_peer.public_feed() RETURNS SETOF public.social_post
LANGUAGE sql STABLE AS $$
  SELECT p.* FROM public.social_post p JOIN public.social_user u ON u.id = p.author_id
  WHERE u.is_active AND p.reply_to_id IS NULL AND NOT p.is_reply
  ORDER BY p.created_at DESC, p.id DESC
$$;

CREATE OR REPLACE FUNCTION public.social_user_viewer_follows(u public.social_user)
RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM public.social_follow f
                 WHERE f.followee_id = u.id AND f.follower_id = bench_peer.viewer_id())
$$;
