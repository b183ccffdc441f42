#!/usr/bin/env bash
# Re-fetches the pinned GraphiQL files served at /graphql from the npm registry
# (`npm pack`, no CDN) into graph/static/graphiql/, then prints their sha256s.
# Bump a version here and in graph/static/graphiql/README.md together.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=graph/static/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package@version  file-inside-the-tarball  name-under-$dest
files=(
  "react@18.2.0 umd/react.production.min.js react.production.min.js"
  "react-dom@18.2.0 umd/react-dom.production.min.js react-dom.production.min.js"
  "js-cookie@3.0.5 dist/js.cookie.min.js js.cookie.min.js"
  "graphiql@3.8.3 graphiql.min.js graphiql.min.js"
  "graphiql@3.8.3 graphiql.min.css graphiql.min.css"
  "@graphiql/plugin-explorer@1.0.2 dist/index.umd.js plugin-explorer.umd.js"
  "@graphiql/plugin-explorer@1.0.2 dist/style.css plugin-explorer.css"
)

mkdir -p "$dest"
for entry in "${files[@]}"; do
  read -r spec inner name <<<"$entry"
  pkgdir="$work/$(echo "$spec" | tr '/@' '__')"
  if [ ! -d "$pkgdir" ]; then
    mkdir -p "$pkgdir"
    tarball=$(cd "$pkgdir" && npm pack --silent "$spec")
    tar xzf "$pkgdir/$tarball" -C "$pkgdir"
  fi
  cp "$pkgdir/package/$inner" "$dest/$name"
done

cd "$dest"
sha256sum react.production.min.js react-dom.production.min.js js.cookie.min.js \
  graphiql.min.js graphiql.min.css plugin-explorer.umd.js plugin-explorer.css
