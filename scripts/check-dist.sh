#!/usr/bin/env bash
# Runs a bundle from scripts/dist.sh the way an operator would: unpacked in a folder of its own,
# production settings, `migrate`, then `serve`, until /readyz answers 200. On PostgreSQL (a fresh
# database next to TEST_DATABASE_URL's) when that is set, else on SQLite (and it says so).
#   scripts/check-dist.sh target/dist/practice-connect-<version>-<profile>.tar.gz
set -euo pipefail
bundle=$(realpath "$1")
work=$(mktemp -d)
server=
cleanup() {
  cd /
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
  if [ -n "${database:-}" ]; then psql -q "$TEST_DATABASE_URL" -c "DROP DATABASE IF EXISTS \"$database\"" || true; fi
}
trap cleanup EXIT

tar -C "$work" -xzf "$bundle"
cd "$work"/practice-connect-*
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  database="pc_dist_$$"
  psql -q "$TEST_DATABASE_URL" -c "CREATE DATABASE \"$database\""
  export DATABASE_URL="${TEST_DATABASE_URL%/*}/$database"
  echo "bundle check on PostgreSQL ($database)"
else
  export DATABASE_URL="sqlite://$work/app.db"
  echo "bundle check on SQLite: TEST_DATABASE_URL is not set"
fi
port=$((20000 + RANDOM % 20000))
export APP_ENV=production
export LEPTOS_SITE_ROOT="$PWD/site" DATA_DIR="$work/data" LEPTOS_SITE_ADDR="127.0.0.1:$port"
export HINT_API_BASE_URL=https://api.hint.example HINT_PARTNER_API_KEY=bundle-check-partner-key
export HINT_WEBHOOK_SECRET=bundle-check-webhook-secret PUBLIC_BASE_URL=https://connect.partner.example
export SMTP_URL=smtps://mail.partner.example:465 MAIL_FROM='Partner <connect@partner.example>'
export KEY_CHECK_HOURS=0 LOG_FORMAT=json TRUSTED_PROXIES=127.0.0.1/32
export HINT_FRAME_ANCESTORS="https://app.hint.example https://app.staging.hint.example"
ENCRYPTION_KEYS=$(bin/practice-connect keys generate --id k1 | tail -1)
export ENCRYPTION_KEYS

bin/practice-connect migrate
bin/practice-connect check
bin/practice-connect serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; then
    echo "the bundle serves: /readyz 200 from $(basename "$PWD")"
    exit 0
  fi
  sleep 0.2
done
echo "the bundle did not become ready; its log:"
cat "$work/server.log"
exit 1
