#!/usr/bin/env bash
# The benchmark (`make bench`): every figure of the performance table in one run, each beside a
# baseline measured in the same run on the same machine, since these machines are noisy.
#
#   - builds the release server and WebAssembly (cargo leptos build --release) and the baseline
#     program (examples/baseline.rs: a bare axum route and a minimal Leptos page);
#   - installs wrk (Debian) and the Node peer's packages when missing (scripts/setup.sh --bench);
#   - runs one Hint sandbox (`practice-connect sandbox`) that the app and the Node peer
#     (bench/peer, Hint's reference headless connect) both exchange their codes with;
#   - prints the table, each figure beside its goal, and keeps the raw lines in target/bench/.
#
# Usage: scripts/bench.sh [--quick] [--no-build]
#   --quick     shorter runs, and the dashboard at 10,000 rows instead of 100,000 (for trying the
#               script, not for quoting)
#   --no-build  measure the release build already in target/
# PostgreSQL figures need TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

seconds=8 big=100000 build=true
for arg in "$@"; do
  case $arg in
    --quick) seconds=3 big=10000 ;;
    --no-build) build=false ;;
    *) echo "unknown option $arg"; exit 2 ;;
  esac
done
work=target/bench
rm -rf "$work/run"; mkdir -p "$work/run"
log=$work/run/results.txt
: > "$log"
bin=target/release/practice-connect
baseline_bin=target/release/examples/baseline
base=3400 app=3410 sandbox=3411 hint_alone=3412 peer=3420

say() { printf '\033[1;34m[bench]\033[0m %s\n' "$*"; }

# --- tools and builds --------------------------------------------------------------------------
scripts/setup.sh --bench
if $build; then
  if ! command -v wasm-opt >/dev/null 2>&1; then
    if [ ! -x target/tools/node_modules/.bin/wasm-opt ]; then
      say "installing wasm-opt (npm package binaryen) into target/tools"
      npm install --prefix target/tools --no-audit --no-fund --loglevel=error binaryen >/dev/null
    fi
    export PATH="$PWD/target/tools/node_modules/.bin:$PATH"
  fi
  say "release build (server, WebAssembly, baseline)"
  cargo leptos build --release --split
  cargo build --release --features ssr --example baseline
fi

# --- processes ---------------------------------------------------------------------------------
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.02; done
  echo "nothing answers at $1"; exit 1
}

record() { echo "$1 $2" >> "$log"; } # key, value

# One wrk run; prints its RESULT line's fields as key=value words.
load() { # threads, connections, seconds, script, url, [script args...]
  local threads=$1 connections=$2 duration=$3 script=$4 url=$5; shift 5
  local extra=()
  [ $# -gt 0 ] && extra=(-- "$@")
  wrk -t"$threads" -c"$connections" -d"${duration}s" -s "bench/wrk/$script" "$url" "${extra[@]}" \
    | sed -n 's/^RESULT //p'
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; } # result, key
# Records every figure of one wrk run under `name`: the rate, p50 and p99, how many answers, how
# many were 400 or above, socket errors and (for the scripts that count them) the status counts,
# so the report can tell a slow row from one that measured nothing.
measure() { # name, result
  local key
  for key in rps p50 p99 requests socket_errors over_399 statuses; do
    record "${1}_$key" "$(field "$2" "$key")"
  done
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# The part of the RSS that is the program's own memory (the rest is mapped code and database pages,
# which the system shares and can drop).
anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }

export APP_ENV=development RUST_LOG=warn
# Limits that would otherwise stop a load from one address after a few requests; the login
# storm comes through "127.0.0.1 the proxy" from many addresses, so its brakes stay real.
limits=(CLIENT_REQUESTS_PER_MINUTE=1000000000 HEADLESS_HINT_CALLS_PER_MINUTE=1000000000
  TRUSTED_PROXIES=127.0.0.1/32)
hint=(HINT_API_BASE_URL=http://127.0.0.1:$sandbox HINT_PARTNER_API_KEY=bench-partner-key
  HINT_WEBHOOK_SECRET=bench-signing-key)

say "starting the baseline and the Hint sandbox"
"$baseline_bin" "127.0.0.1:$base" > "$work/run/baseline.log" 2>&1 &
pids+=($!)
SANDBOX_PARTNER_KEY=bench-partner-key SANDBOX_SIGNING_KEY=bench-signing-key \
  SANDBOX_WEBHOOK_URL=http://127.0.0.1:$app/hint/webhooks \
  SANDBOX_REDIRECT_URL="http://127.0.0.1:$app/signup?code=" SANDBOX_CODE_TTL_SECONDS=3600 \
  "$bin" sandbox --listen "127.0.0.1:$sandbox" > "$work/run/sandbox.log" 2>&1 &
pids+=($!)
# Hint alone, for the exchange's baseline: a second sandbox that sends no webhooks. Measured on
# the first, each of its ~30,000 exchanges would queue an integration.activated webhook for the
# app, and the app, busy receiving them, answered none of its own exchanges within wrk's 2 s.
SANDBOX_PARTNER_KEY=bench-partner-key SANDBOX_SIGNING_KEY=bench-signing-key SANDBOX_CODE_TTL_SECONDS=3600 \
  "$bin" sandbox --listen "127.0.0.1:$hint_alone" --webhook-url "" > "$work/run/sandbox-alone.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$base/plain"
wait_for "http://127.0.0.1:$sandbox/marketplace"
wait_for "http://127.0.0.1:$hint_alone/marketplace"

mint() { # count, file, [sandbox port]
  curl -sf -H 'content-type: application/json' -d "{\"count\": $1}" \
    "http://127.0.0.1:${3:-$sandbox}/sandbox/admin/practices" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).codes.join("\n")))' > "$2"
}

start_app() { # database URL, name; sets app_pid and cold_ms
  local url=$1 name=$2 started
  started=$(date +%s%N)
  env "${limits[@]}" "${hint[@]}" DATABASE_URL="$url" DATA_DIR="$work/run/data-$name" \
    LEPTOS_SITE_ADDR=127.0.0.1:$app LEPTOS_SITE_ROOT=target/site \
    "$bin" serve > "$work/run/app-$name.log" 2>&1 &
  app_pid=$!
  pids+=("$app_pid")
  wait_for "http://127.0.0.1:$app/healthz"
  cold_ms=$(( ($(date +%s%N) - started) / 1000000 ))
}

# --- SQLite: pages, landing, exchange, login storm ---------------------------------------------
say "app on SQLite"
start_app "sqlite://$work/run/app.db" sqlite
record cold_start_ms "$cold_ms"
record rss_idle_kb "$(rss_kb "$app_pid")"
record anon_idle_kb "$(anon_kb "$app_pid")"

say "throughput: /healthz and the pages against the baselines (wrk -t2 -c32, ${seconds}s each)"
measure plain "$(load 2 32 "$seconds" get.lua "http://127.0.0.1:$base/plain")"
measure healthz "$(load 2 32 "$seconds" get.lua "http://127.0.0.1:$app/healthz")"
measure page "$(load 2 32 "$seconds" get.lua "http://127.0.0.1:$base/page")"
for page in home:/ login:/login onboarding:/onboarding; do
  measure "${page%%:*}" "$(load 2 32 "$seconds" get.lua "http://127.0.0.1:$app${page#*:}")"
done
measure landing "$(load 2 32 "$seconds" landing.lua "http://127.0.0.1:$app")"

say "exchange: Hint alone, then through the app's headless connect (1 client, ${seconds}s each)"
# Hint alone answers several thousand a second: enough codes that none runs out (a made-up
# code's 404 is cheaper and would flatter the baseline).
mint $((seconds * 12000)) "$work/run/codes-direct" "$hint_alone"
measure hint "$(load 1 1 "$seconds" connect.lua "http://127.0.0.1:$hint_alone" "$work/run/codes-direct" 1 direct bench-partner-key)"
mint 20000 "$work/run/codes-app-sqlite"
measure exchange "$(load 1 1 "$seconds" connect.lua "http://127.0.0.1:$app" "$work/run/codes-app-sqlite" 1)"

say "login storm: 32 clients for ${seconds}s, /healthz timed beside it"
measure healthz_alone "$(load 1 1 "$seconds" get.lua "http://127.0.0.1:$app/healthz")"
record rss_before_storm_kb "$(rss_kb "$app_pid")"
( peak=0; while kill -0 "$app_pid" 2>/dev/null; do
    now=$(rss_kb "$app_pid" 2>/dev/null || echo 0); [ "${now:-0}" -gt "$peak" ] && peak=$now
    echo "$peak" > "$work/run/rss-peak.new" && mv "$work/run/rss-peak.new" "$work/run/rss-peak"
    sleep 0.1; done ) &
sampler=$!
load 1 2 "$seconds" get.lua "http://127.0.0.1:$app/healthz" > "$work/run/healthz-storm" &
beside=$!
r=$(load 2 32 "$seconds" login.lua "http://127.0.0.1:$app")
wait "$beside"
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
measure storm "$r"
record storm_rss_peak_kb "$(cat "$work/run/rss-peak")"
measure healthz_storm "$(cat "$work/run/healthz-storm")"
sleep 1
record rss_after_kb "$(rss_kb "$app_pid")"
# The password workers free their memory after ten quiet seconds.
sleep 14
record rss_quiet_kb "$(rss_kb "$app_pid")"
record anon_quiet_kb "$(anon_kb "$app_pid")"
kill "$app_pid"; wait "$app_pid" 2>/dev/null || true

# --- PostgreSQL: connects per second against the Node peer -------------------------------------
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  say "PostgreSQL: the app and the Node peer, same sandbox, same database server"
  for db in pc_bench_app pc_bench_peer; do
    psql "$TEST_DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  done
  server_url=${TEST_DATABASE_URL%/*}
  start_app "$server_url/pc_bench_app" postgres
  PORT=$peer DATABASE_URL="$server_url/pc_bench_peer" HINT_API_URL="http://127.0.0.1:$sandbox" \
    HINT_API_KEY=bench-partner-key node bench/peer/server.js > "$work/run/peer.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$peer/"
  for clients in 1 16; do
    threads=$(( clients > 1 ? 2 : 1 ))
    for who in app peer; do
      port=$app; [ "$who" = peer ] && port=$peer
      mint 30000 "$work/run/codes-$who-$clients"
      measure "connect_${who}_${clients}" "$(load "$threads" "$clients" "$seconds" connect.lua \
        "http://127.0.0.1:$port" "$work/run/codes-$who-$clients" "$threads")"
    done
  done
  stored=$(psql "$server_url/pc_bench_peer" -tAc 'SELECT count(*) FROM practice_tokens')
  record peer_tokens_stored "$stored"
  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true
  for db in pc_bench_app pc_bench_peer; do
    psql "$TEST_DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  done
else
  say "PostgreSQL rows skipped: set TEST_DATABASE_URL to include them"
fi

# --- WebAssembly as served ---------------------------------------------------------------------
# A provider's first page loads the main module only; the lazy pages' parts (split_*, chunk_*:
# the staff pages, and a provider's pages off the way in) load when such a page opens.
pkg=target/site/pkg
if [ -f "$pkg/practice-connect.wasm" ]; then
  record wasm_raw_bytes "$(stat -c %s "$pkg/practice-connect.wasm")"
  record wasm_gzip_bytes "$(gzip -9 -c "$pkg/practice-connect.wasm" | wc -c)"
  lazy=0
  for part in "$pkg"/split_*.wasm "$pkg"/chunk_*.wasm; do
    [ -f "$part" ] && lazy=$((lazy + $(gzip -9 -c "$part" | wc -c)))
  done
  record wasm_lazy_gzip_bytes "$lazy"
fi

# --- the dashboard at 1,000 and $big rows ------------------------------------------------------
for rows in 1000 "$big"; do
  say "dashboard at $rows connections"
  BENCH_BIN=$bin BENCH_OUT="$work/run/dashboard-$rows.tsv" scripts/bench-dashboard.sh "$rows" 21 \
    > "$work/run/dashboard-$rows.log"
done

# --- the table ---------------------------------------------------------------------------------
cleanup
scripts/bench-report.sh "$work/run" "$big"
