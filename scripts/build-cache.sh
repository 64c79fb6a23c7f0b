#!/usr/bin/env bash
# Links a clone's missing target/ to a build cache outside it, so a fresh clone on a machine that
# built practice-connect before compiles only what changed (CI clones afresh each time).
#   BUILD_CACHE      where the cache lives (default: ~/.cache/practice-connect/target);
#                    "off" leaves target/ alone
#   BUILD_CACHE_MAX_GB  past this size the cache starts empty again (default 40)
# Does nothing when target/ already exists. Cargo's own fingerprints decide what to rebuild, so a
# cache built from other sources is reused only where it matches; each run's logs are its own,
# since scripts/test.sh empties target/test-logs first.
set -euo pipefail
cd "$(dirname "$0")/.."
cache=${BUILD_CACHE:-$HOME/.cache/practice-connect/target}
max_gb=${BUILD_CACHE_MAX_GB:-40}
[ "$cache" = off ] && exit 0
[ -e target ] || [ -L target ] && { echo "build cache: target/ is already here, left alone"; exit 0; }

mkdir -p "$cache"
size_mb=$(du -sm "$cache" | cut -f1)
if [ "$size_mb" -gt $((max_gb * 1024)) ]; then
  echo "build cache: ${size_mb} MB is over ${max_gb} GB, starting empty"
  rm -rf "$cache"
  mkdir -p "$cache"
  size_mb=0
fi
ln -s "$cache" target
echo "build cache: target/ -> $cache (${size_mb} MB)"
