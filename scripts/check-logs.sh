#!/usr/bin/env bash
# Fails if a test run's logs hold a secret the app must never log: any authorization code or
# practice key the sandbox issued during the run (it records them when SANDBOX_RECORD_SECRETS is
# set), the partner key, a password the tests typed, a one-time link's token or an unsubscribe
# link's sealed value, or any line of an email's body.
# Usage: check-logs.sh SECRETS_FILE LOG...
set -uo pipefail
secrets_file=$1; shift
patterns=$(mktemp)
trap 'rm -f "$patterns"' EXIT
# Passwords and keys the test suites use (see end2end/tests and tests/api).
printf '%s\n' 'correct-horse-battery-staple' 'pk_test_sandboxpartner' 'sandbox-partner-key' > "$patterns"
if [ -f "$secrets_file" ]; then
  grep -v '^$' "$secrets_file" >> "$patterns"
  echo "checking for $(wc -l < "$secrets_file") issued codes and keys"
else
  echo "no record of issued secrets at $secrets_file: checking fixed strings only"
fi
# Shapes no log line may hold: a one-time token in a link, a sealed unsubscribe value, and lines
# only an email body has (src/server/mail/templates.rs).
shapes='token=[A-Za-z0-9_-]{43}|[?&]t=[A-Za-z0-9_-]{40,}|Please confirm that this is your email|asked to reset your password|Someone just tried to create|Stop these emails|Choose my password'
status=0
for log in "$@"; do
  if [ -f "$log" ] && grep -nE "$shapes" "$log" | head -5 | grep -q .; then
    echo "email content or a one-time token found in $log (first lines below)"
    grep -nE "$shapes" "$log" | head -5
    status=1
  fi
  if [ ! -f "$log" ]; then echo "no log at $log"; status=1; continue; fi
  if grep -nFf "$patterns" "$log" | head -5 | grep -q .; then
    echo "secret text found in $log (first lines above)"
    grep -nFf "$patterns" "$log" | head -5
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "no secrets found in: $*"
exit "$status"
