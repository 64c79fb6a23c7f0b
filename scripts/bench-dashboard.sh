#!/usr/bin/env bash
# Times the staff dashboard's list, search, filter, sort, deep page and summary at 100,000
# connections, on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL. Prints the median of
# several runs of each server call (and the 95th percentile), and the median's ratio to
# GET /healthz measured in the same run, since these machines are noisy. Each call must answer
# 200, or the script stops. Uses the binary `cargo leptos build` made (target/debug), or BENCH_BIN.
# With BENCH_OUT set, also writes one line per call to that file: backend, label, median ms,
# p95 ms (scripts/bench.sh reads it).
# Usage: scripts/bench-dashboard.sh [connections] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
runs=${2:-15}
bin=${BENCH_BIN:-target/debug/practice-connect}
[ -x "$bin" ] || { echo "build first: cargo leptos build"; exit 1; }
work=target/bench/dashboard
rm -rf "$work"; mkdir -p "$work"
out=${BENCH_OUT:-/dev/null}
: > "$out"
port=3301
password='bench-password-only'
# A local run on the built-in sandbox: development mode.
export APP_ENV=development
# State changes must come from the app's own origin; curl says so as a browser would.
same_origin=(-H 'sec-fetch-site: same-origin')

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p95() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.95+0.999); if (i<1) i=1; print a[i]}'; }

time_call() { # label, curl args...
  local label=$1; shift
  local all status
  all=$(for _ in $(seq "$runs"); do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -b "$work/jar" "$@"
  done)
  status=$(echo "$all" | awk '$1 != 200 {print $1; exit}')
  if [ -n "$status" ]; then echo "  $label answered $status: nothing to time"; exit 1; fi
  echo "$all" | awk '{print $2}' | median > "$work/last"
  local median_ms p95_ms
  median_ms=$(echo "$(cat "$work/last") * 1000" | bc -l)
  p95_ms=$(echo "$(echo "$all" | awk '{print $2}' | p95) * 1000" | bc -l)
  printf '  %-34s %8.2f ms  p95 %8.2f ms' "$label" "$median_ms" "$p95_ms"
  printf '%s\t%s\t%.2f\t%.2f\n' "$backend" "$label" "$median_ms" "$p95_ms" >> "$out"
}

bench() { # database URL, name
  local url=$1 name=$2
  backend=$name
  echo "== $name, $count connections"
  APP_ENV=development DATABASE_URL=$url DATA_DIR=$work/data "$bin" seed --connections "$count"
  echo "$password" | DATABASE_URL=$url DATA_DIR=$work/data "$bin" staff add --email bench@partner.example --role support >/dev/null
  DATABASE_URL=$url DATA_DIR=$work/data LEPTOS_SITE_ADDR=127.0.0.1:$port SANDBOX_LISTEN=127.0.0.1:$((port + 1)) \
    LEPTOS_SITE_ROOT=target/site RUST_LOG=warn STAFF_SECOND_FACTOR=admins "$bin" serve > "$work/$name.log" 2>&1 &
  local server=$!
  trap "kill $server 2>/dev/null" RETURN
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  rm -f "$work/jar"
  curl -s -c "$work/jar" -o /dev/null -H 'accept: application/json' "${same_origin[@]}" \
    --data-urlencode email=bench@partner.example --data-urlencode "password=$password" "http://127.0.0.1:$port/api/staff/log_in"
  local api="http://127.0.0.1:$port/api/admin/connections"
  local fn=(-X POST -H 'accept: application/json' -H 'content-type: application/x-www-form-urlencoded' "${same_origin[@]}")
  time_call "baseline GET /healthz" "http://127.0.0.1:$port/healthz"; base=$(cat "$work/last"); echo
  for case in "list, newest first|query[page]=1" \
              "search 'maple' (8% of rows match)|query[page]=1&query[q]=maple" \
              "search 'seed4242-' (one provider)|query[page]=1&query[q]=seed4242-" \
              "search by practice id|query[page]=1&query[q]=pra-seed0054321" \
              "filter status=failed|query[page]=1&query[status]=failed" \
              "sort by practice name|query[page]=1&query[sort]=practice_name&query[dir]=asc" \
              "page 200 (deepest offered)|query[page]=200"; do
    label=${case%%|*}; body=${case#*|}
    time_call "$label" "${fn[@]}" --data "$body" "$api"
    printf '  (%5.1fx baseline)\n' "$(echo "$(cat "$work/last") / $base" | bc -l)"
  done
  time_call "summary" "${fn[@]}" "http://127.0.0.1:$port/api/admin/summary"
  printf '  (%5.1fx baseline)\n' "$(echo "$(cat "$work/last") / $base" | bc -l)"
  curl -s -b "$work/jar" -H 'accept: application/json' "${same_origin[@]}" -X POST --data 'query[page]=1&query[q]=maple' "$api" \
    | grep -o '"total":[0-9]*' | sed 's/^/  check: maple search /'
}

bench "sqlite://$work/bench.db" sqlite
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  psql "$TEST_DATABASE_URL" -q -c 'DROP DATABASE IF EXISTS pc_bench WITH (FORCE)' -c 'CREATE DATABASE pc_bench'
  pg_url=$(echo "$TEST_DATABASE_URL" | sed 's#/[^/]*$#/pc_bench#')
  bench "$pg_url" postgresql
  psql "$TEST_DATABASE_URL" -q -c 'DROP DATABASE IF EXISTS pc_bench WITH (FORCE)'
else
  echo "PostgreSQL: skipped (set TEST_DATABASE_URL to include it)"
fi
