#!/usr/bin/env bash
# The whole benchmark, as recorded in bench/RESULTS.md: seed two databases, then HTTP
# (ours, the hand-written view, PostGraphile; daphne, uvicorn and granian), then subscriptions at
# 1,000, 5,000 and 10,000 clients. Everything talks to 127.0.0.1 only.
#
#   bench/run.sh                       # all of it (about 15 minutes on 2 cores)
#   BENCH_ONLY=http bench/run.sh       # or: seed, http, subs
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${BENCH_PYTHON:-.venv/bin/python}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
REDIS=${BENCH_REDIS:-redis://127.0.0.1:6379/9}
DURATION=${BENCH_DURATION:-20}
ROUNDS_DURATION=${BENCH_ROUNDS_DURATION:-64}
ONLY=${BENCH_ONLY:-seed,http,subs}
OUT=bench/results
mkdir -p "$OUT"

seed_db() {  # name users posts-per-user
  if ! psql "$PG/postgres" -Atqc "select 1 from pg_database where datname = '$1'" | grep -q 1; then
    psql "$PG/postgres" -qc "create database $1"
  fi
  DATABASE_URL="$PG/$1" DEBUG=true "$PY" manage.py migrate --noinput -v0
  if [ "$(psql "$PG/$1" -Atqc 'select count(*) from social_user')" = "0" ]; then
    local started=$SECONDS
    DATABASE_URL="$PG/$1" DEBUG=true "$PY" manage.py seed --users "$2" --posts-per-user "$3" \
      --follows-per-user 20 --seed 1
    echo "{\"database\": \"$1\", \"users\": $2, \"posts_per_user\": $3, \"seconds\": $((SECONDS - started))}" \
      > "$OUT/seed-$1.json"
  fi
}

if [[ $ONLY == *seed* ]]; then
  seed_db bench_small 10000 1    # 10,000 posts
  seed_db bench_big 10000 10     # 100,000 posts
fi
if [[ $ONLY == *http* ]]; then
  # The variants take turns (8 rounds of 8 s each): a shared machine drifts by minutes.
  "$PY" -m bench.http_bench --database "$PG/bench_big" --servers daphne,uvicorn \
    --duration "$ROUNDS_DURATION" --rounds 8 --warmup 1 --label "100k posts, 8 rounds in turns" \
    --out "$OUT/http-big.json"
  "$PY" -m bench.http_bench --database "$PG/bench_small" --servers daphne \
    --duration "$ROUNDS_DURATION" --rounds 8 --warmup 1 --label "10k posts, 8 rounds in turns" \
    --out "$OUT/http-small.json"
  # The servers, HTTP through config/asgi_http.py (daphne-stock: Django's own handler).
  "$PY" -m bench.http_bench --database "$PG/bench_big" --pages graphql \
    --servers daphne-stock,daphne,uvicorn,granian --duration "$ROUNDS_DURATION" --rounds 8 \
    --warmup 1 --label "servers, 8 rounds in turns" --out "$OUT/http-servers.json"
  "$PY" -m bench.http_bench --database "$PG/bench_big" --pages graphql --no-peer \
    --servers daphne1,daphne4,uvicorn4,daphne-nopool --duration 15 \
    --label "servers, workers, pool (100k posts)" --out "$OUT/http-tuning.json"
fi
if [[ $ONLY == *subs* ]]; then
  for n in 1000 5000 10000; do
    # The Procfile's server: uvicorn with the lean WebSocket protocol class (section 14.1).
    "$PY" -m bench.subs_bench --database "$PG/bench_big" --redis "$REDIS" --clients "$n" \
      --server uvicorn \
      "--ws-options=--ws=realtime.server_ws:LeanWSProtocol --ws-per-message-deflate=false" \
      --out "$OUT/subs-$n.json"
  done
fi
"$PY" -m bench.report "$OUT"
