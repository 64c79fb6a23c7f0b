#!/usr/bin/env bash
# Drops the throwaway databases the Rust tests create on TEST_DATABASE_URL's server.
set -euo pipefail
: "${TEST_DATABASE_URL:?TEST_DATABASE_URL names the PostgreSQL server}"
psql "$TEST_DATABASE_URL" -Atq -c "SELECT datname FROM pg_database WHERE datname LIKE 'pc_test_%'" |
  while read -r name; do
    psql "$TEST_DATABASE_URL" -q -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)"
  done
