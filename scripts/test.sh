#!/usr/bin/env bash
# Runs every check and test of practice-connect, installing what is missing first:
#   formatting, the supply-chain check (cargo deny), clippy (server and browser builds), Rust
#   unit and integration tests on SQLite
#   (and PostgreSQL when TEST_DATABASE_URL is set), the cargo-leptos build, Playwright in Chromium.
# Ends with one line: "N passed, N failed, N skipped". Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

passed=0 failed=0 skipped=0
failures=()
logs=target/test-logs
# A run's logs are its own (target/ may be a build cache kept between runs).
rm -rf "$logs"
mkdir -p "$logs"

stage() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

# A check that is not a test runner counts as one test.
check() { # name, command...
  local name=$1; shift
  stage "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

# Adds up cargo's "test result:" lines from a log.
count_cargo() { # log file
  local p f i
  p=$(grep -Eo '[0-9]+ passed' "$1" | awk '{s+=$1} END {print s+0}')
  f=$(grep -Eo '[0-9]+ failed' "$1" | awk '{s+=$1} END {print s+0}')
  i=$(grep -Eo '[0-9]+ ignored' "$1" | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + i))
}

stage "tools"
if ! scripts/setup.sh --test; then
  echo "setup failed: nothing can be tested"
  echo "0 passed, 1 failed"
  exit 1
fi

# The browser build has a target folder of its own (target/front), so it runs beside the checks
# and the Rust tests, on the cores they leave idle; "cargo leptos build" below then finds it done.
cargo leptos build --split --frontend-only > "$logs/front-build.log" 2>&1 &
front_build=$!

check "cargo fmt --check" cargo fmt --check
# Licences, second copies of a crate and where crates come from (deny.toml). The advisory
# database cannot be fetched on machines that reach only the package registries; run
# `cargo deny check advisories` where it can.
check "cargo deny (licenses, bans, sources)" cargo deny check licenses bans sources
check "clippy (server)" cargo clippy --all-targets --features ssr -- -D warnings
check "clippy (browser)" cargo clippy --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

stage "Rust unit and integration tests"
test_args=()
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "PostgreSQL tests: ON (TEST_DATABASE_URL is set)"
  test_args=(--include-ignored)
else
  echo "PostgreSQL tests: SKIPPED, because TEST_DATABASE_URL is not set; they show as 'ignored' below"
fi
# The in-process sandboxes record every code and key they issue, for the log scan below.
rm -f "$logs/rust-issued-secrets.txt"
SANDBOX_RECORD_SECRETS="$PWD/$logs/rust-issued-secrets.txt" TEST_LOG=1 \
  cargo test --features ssr -- "${test_args[@]}" 2>&1 | tee "$logs/cargo-test.log"
rust_status=${PIPESTATUS[0]}
count_cargo "$logs/cargo-test.log"
if [ "$rust_status" -ne 0 ] && ! grep -q "test result: FAILED" "$logs/cargo-test.log"; then
  failed=$((failed + 1)); failures+=("cargo test (did not run to the end)")
elif [ "$rust_status" -ne 0 ]; then
  failures+=("cargo test")
fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  scripts/drop-test-databases.sh || true
fi

# The service API's OpenAPI document against the OpenAPI 3.1 specification (the Rust tests
# compare it with the API's real answers).
target/debug/practice-connect openapi > "$logs/openapi.json"
check "OpenAPI document is valid 3.1" target/tools/openapi-venv/bin/openapi-spec-validator "$logs/openapi.json"

# The shipped systemd unit's exposure (0 best, 10 worst), where systemd is there to rate it.
if command -v systemd-analyze >/dev/null 2>&1; then
  check "systemd unit exposure at most 1.5" \
    systemd-analyze security --offline=true --threshold=15 deploy/practice-connect.service
else
  echo "systemd unit rating: SKIPPED, because systemd-analyze is not on this machine"
fi

wait "$front_build" || echo "the early browser build failed (see $logs/front-build.log); building again"
check "cargo leptos build" cargo leptos build --split
# The bundle an operator installs, run from its own folder with production settings (from the
# debug build just made: CI does not pay for a second, release build).
check "release bundle serves" bash -c 'scripts/dist.sh --debug && scripts/check-dist.sh target/dist/practice-connect-*-debug.tar.gz'

stage "Playwright in Chromium"
rm -f end2end/test-results/results.json
(cd end2end && CI=${CI:-} npx playwright test)
e2e_status=$?
if [ -f end2end/test-results/results.json ]; then
  read -r p f s < <(node -e '
    const r = require("./end2end/test-results/results.json").stats;
    console.log(r.expected + r.flaky, r.unexpected, r.skipped);')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$f" -gt 0 ] && failures+=("playwright")
fi
if [ "$e2e_status" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
  failed=$((failed + 1)); failures+=("playwright (did not run to the end)")
fi

cat "$logs/rust-issued-secrets.txt" target/e2e/issued-secrets.txt > "$logs/issued-secrets.txt" 2>/dev/null
check "no secrets in logs" scripts/check-logs.sh "$logs/issued-secrets.txt" "$logs/cargo-test.log" target/e2e/server.log

stage "summary"
if [ ${#failures[@]} -gt 0 ]; then printf 'failed: %s\n' "${failures[@]}"; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
