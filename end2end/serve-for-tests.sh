#!/usr/bin/env bash
# Starts the server built by `cargo leptos build` on a fresh SQLite database, for Playwright.
set -euo pipefail
cd "$(dirname "$0")/.."
state=target/e2e
rm -rf "$state"
mkdir -p "$state"
export APP_ENV=development
export DATABASE_URL="sqlite://$state/app.db"
export DATA_DIR="$state/data"
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_ADDR="127.0.0.1:${E2E_PORT:-3005}"
export LOG_FORMAT=json
export SANDBOX_LISTEN="127.0.0.1:${E2E_SANDBOX_PORT:-3105}"
# Every code and key the sandbox issues, so the test script can prove none reached a log.
export SANDBOX_RECORD_SECRETS="$state/issued-secrets.txt"
# Email goes to the SMTP catcher Playwright starts beside this server (playwright.config.ts).
export SMTP_URL="smtp://127.0.0.1:${E2E_SMTP_PORT:-3205}"
# Staff are added by the tests themselves (end2end/tests/staff.ts), with the command line.
# The run's log is kept so the test script can check that no secret was ever logged.
exec target/debug/practice-connect serve 2>&1 | tee "$state/server.log"
