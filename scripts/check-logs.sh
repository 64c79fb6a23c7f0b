#!/usr/bin/env bash
# Fails if a test run's logs hold anything that looks like a secret the app must never log:
# the sandbox's practice keys and authorization codes, partner keys, passwords used by tests.
set -uo pipefail
status=0
for log in "$@"; do
  [ -f "$log" ] || { echo "no log at $log (skipped)"; continue; }
  # Marker strings the tests and the sandbox put inside every secret they make.
  if grep -nE 'pk_(test|live|sbx)_[A-Za-z0-9]{8,}|sbxkey_[A-Za-z0-9]{8,}|sbxcode_[A-Za-z0-9]{8,}|correct-horse-battery|wrong-horse-battery' "$log"; then
    echo "secret-looking text found in $log"
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "no secrets found in the logs"
exit "$status"
