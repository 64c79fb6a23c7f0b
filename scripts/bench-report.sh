#!/usr/bin/env bash
# Prints the performance table from one run of scripts/bench.sh: each figure, its baseline from
# the same run where it has one, the status counts of the requests behind it, the goal, and
# whether the goal is met. A row whose measurement produced nothing (no answers, no successful
# answers, too few samples, an empty value) says "no data" and is not met; the script then names
# the raw file to read and exits 1.
# Usage: scripts/bench-report.sh [run folder] [dashboard rows]   (defaults: target/bench/run 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-target/bench/run}
big=${2:-100000}
results=$run/results.txt
[ -f "$results" ] || { echo "no $results: run scripts/bench.sh first" >&2; exit 1; }

get() { awk -v k="$1" '$1 == k {print $2}' "$results"; }
calc() { awk "BEGIN {printf \"%.${2:-2}f\", $1}"; }
# met: value, comparison ("<=" or ">="), goal
met() { awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN {
  if (v == "") { print "-"; exit }
  ok = (op == "<=") ? (v + 0 <= g + 0) : (v + 0 >= g + 0); print (ok ? "yes" : "NO") }'; }
row() { printf '| %-52s | %-44s | %-16s | %-7s |\n' "$@"; }

missing=()
# Whether the wrk run `name` has data: at least `min` useful answers (default 1) and a rate above
# zero. Useful answers are those below 400, or, when `codes` lists statuses (comma-separated),
# those with one of them: a login storm's useful answer is the 400 of a password that was checked.
has_data() { # name, [min answers], [codes]
  local n bad rps statuses
  n=$(get "${1}_requests"); bad=$(get "${1}_over_399"); rps=$(get "${1}_rps")
  statuses=$(get "${1}_statuses")
  [ -n "$n" ] && [ -n "$rps" ] || return 1
  awk -v n="$n" -v bad="${bad:-0}" -v rps="$rps" -v min="${2:-1}" -v codes="${3:-}" \
    -v statuses="$statuses" 'BEGIN {
      useful = n - bad
      if (codes != "") {
        useful = 0; split(codes, wanted, ","); split(statuses, counted, ",")
        for (i in counted) { split(counted[i], pair, ":"); for (j in wanted) if (pair[1] == wanted[j]) useful += pair[2] }
      }
      exit !(useful >= min && rps > 0) }'
}
# Whether every answer of the wrk run `name` was below 400: a connect run that ran out of codes
# sends made-up ones, whose refusals are cheaper and would flatter (or hide) the figure.
all_ok() { [ "$(get "${1}_over_399")" = 0 ]; }
# Whether every key has a value above zero.
present() {
  local key value
  for key in "$@"; do
    value=$(get "$key")
    [ -n "$value" ] && awk -v v="$value" 'BEGIN { exit !(v > 0) }' || return 1
  done
}
# What the requests behind a wrk run answered: the status counts when the script counted them,
# else the answers and how many were 400 or above; socket errors when there were any.
answers() { # name
  local statuses n bad errors text
  statuses=$(get "${1}_statuses"); n=$(get "${1}_requests"); bad=$(get "${1}_over_399")
  errors=$(get "${1}_socket_errors")
  if [ -n "$statuses" ]; then text=$statuses; else text="${n:-0} answers, ${bad:-0} >= 400"; fi
  [ "${errors:-0}" != 0 ] && text="$text, ${errors} socket errors"
  echo "$text"
}
# A row whose data is missing: says so, and counts against the run.
no_data() { # figure, what was measured, goal
  row "$1" "$2" "$3" "no data"
  missing+=("$1")
}

ratio() { # numerator key, denominator key
  local n d; n=$(get "$1"); d=$(get "$2")
  [ -n "$n" ] && [ -n "$d" ] && calc "$n / $d" 2
}

echo
echo "practice-connect benchmark, $(date -u +%Y-%m-%d), $(nproc) cores, release build"
echo
row "Figure" "Now (baseline in the same run; answers)" "Goal" "Met"
row "---" "---" "---" "---"
figure="/healthz vs a bare axum route"
if has_data plain 100 && has_data healthz 100; then
  r=$(ratio healthz_rps plain_rps)
  row "$figure" "$r ($(calc "$(get healthz_rps)" 0) vs $(calc "$(get plain_rps)" 0) req/s; $(answers healthz))" ">= 0.7" "$(met "$r" '>=' 0.7)"
else no_data "$figure" "healthz: $(answers healthz); bare: $(answers plain)" ">= 0.7"; fi
for page in home:/ login:/login onboarding:/onboarding; do
  name=${page%%:*} figure="${page#*:} vs the minimal Leptos page"
  if has_data page 100 && has_data "$name" 100; then
    r=$(ratio "${name}_rps" page_rps)
    row "$figure" "$r ($(calc "$(get "${name}_rps")" 0) vs $(calc "$(get page_rps)" 0) req/s; $(answers "$name"))" ">= 0.8" "$(met "$r" '>=' 0.8)"
  else no_data "$figure" "$(answers "$name")" ">= 0.8"; fi
done
figure="Landing, random codes (SQLite) vs a bare axum route"
if has_data plain 100 && has_data landing 100; then
  r=$(ratio landing_rps plain_rps)
  row "$figure" "$r ($(calc "$(get landing_rps)" 0) req/s, p99 $(get landing_p99) ms; $(answers landing))" ">= 0.05" "$(met "$r" '>=' 0.05)"
else no_data "$figure" "$(answers landing)" ">= 0.05"; fi
figure="Release WebAssembly a provider loads, gzip -9 (raw)"
if present wasm_gzip_bytes wasm_raw_bytes; then
  gz=$(calc "$(get wasm_gzip_bytes) / 1024" 0)
  row "$figure" "$gz KB ($(calc "$(get wasm_raw_bytes) / 1024" 0) KB)" "<= 250 KB" "$(met "$gz" '<=' 250)"
  if [ -n "$(get wasm_lazy_gzip_bytes)" ]; then
    row "... and the lazy pages' parts, all together" "$(calc "$(get wasm_lazy_gzip_bytes) / 1024" 0) KB" "loaded when opened" "-"
  fi
else no_data "$figure" "not built" "<= 250 KB"; fi

for backend in sqlite postgresql; do
  small=$run/dashboard-1000.tsv large=$run/dashboard-$big.tsv
  if ! { [ -s "$large" ] && grep -q "^$backend" "$large"; }; then
    if [ "$backend" = sqlite ] || [ -n "$(get connect_app_1_rps)" ]; then
      no_data "Dashboard $backend $big rows" "no timings in $large" "<= 25 ms, <= 2x"
    fi
    continue
  fi
  while IFS=$'\t' read -r b label median p95; do
    [ "$b" = "$backend" ] || continue
    case $label in baseline*) continue ;; esac
    p95_small=$(awk -F'\t' -v b="$b" -v l="$label" '$1 == b && $2 == l {print $4}' "$small")
    figure="Dashboard $backend $big rows: ${label%% (*}"
    if [ -z "$p95" ] || [ -z "$p95_small" ]; then no_data "$figure" "no p95" "<= 25 ms, <= 2x"; continue; fi
    growth=$(calc "$p95 / ($p95_small > 0 ? $p95_small : 1)" 1)
    ok=$(met "$p95" '<=' 25); [ "$(met "$growth" '<=' 2)" = yes ] || ok=NO
    row "$figure" "p95 $p95 ms (${growth}x the 1k p95)" "<= 25 ms, <= 2x" "$ok"
  done < "$large"
done

figure="Memory, 32 clients logging in (RSS before → peak)"
# Its useful answers are 400s (a password checked and refused); 429s are the password pool
# shedding what its queue cannot hold, by design.
if has_data storm 10 400 && present storm_rss_peak_kb rss_before_storm_kb; then
  peak=$(calc "$(get storm_rss_peak_kb) / 1024" 0)
  row "$figure" "$(calc "$(get rss_before_storm_kb) / 1024" 0) → $peak MB ($(answers storm))" "<= 64 MB" "$(met "$peak" '<=' 64)"
else no_data "$figure" "$(answers storm)" "<= 64 MB"; fi
figure="/healthz p99 during that storm"
if has_data healthz_storm 100 && has_data healthz_alone 100; then
  p99=$(get healthz_storm_p99)
  row "$figure" "$p99 ms ($(get healthz_alone_p99) ms alone; $(answers healthz_storm))" "<= 15 ms" "$(met "$p99" '<=' 15)"
else no_data "$figure" "$(answers healthz_storm)" "<= 15 ms"; fi
# Percentiles do not subtract: the p50 row is the difference of the medians; the p99 row shows
# both tails, and the goal is met when the exchange's tail is within 5 ms of Hint's own.
figure="Exchange through the app, SQLite, 1 client: p50 added"
if has_data hint 50 && has_data exchange 50 && all_ok hint && all_ok exchange; then
  added50=$(calc "$(get exchange_p50) - $(get hint_p50)" 2)
  tail_gap=$(calc "$(get exchange_p99) - $(get hint_p99)" 2)
  row "$figure" "$added50 ms ($(get exchange_p50) vs Hint alone $(get hint_p50); $(answers exchange))" "<= 1 ms" "$(met "$added50" '<=' 1)"
  row "... and p99, the app's vs Hint's own" "$(get exchange_p99) vs $(get hint_p99) ms" "within 5 ms" "$(met "$tail_gap" '<=' 5)"
else
  no_data "$figure" "app: $(answers exchange); Hint alone: $(answers hint)" "<= 1 ms"
  no_data "... and p99, the app's vs Hint's own" "-" "within 5 ms"
fi
for clients in 1 16; do
  a=$(get "connect_app_${clients}_rps")
  if [ -z "$a" ] && [ -z "$(get "connect_app_${clients}_requests")" ]; then
    row "Headless connects/s on PostgreSQL, $clients client(s)" "skipped (no TEST_DATABASE_URL)" ">= 1.0x" "-"; continue
  fi
  figure="Headless connects/s, PostgreSQL, vs the Node peer, $clients client(s)"
  if has_data "connect_app_$clients" 10 && has_data "connect_peer_$clients" 10 \
    && all_ok "connect_app_$clients" && all_ok "connect_peer_$clients"; then
    r=$(ratio "connect_app_${clients}_rps" "connect_peer_${clients}_rps")
    row "$figure" "${r}x ($(calc "$a" 0) vs $(calc "$(get "connect_peer_${clients}_rps")" 0)/s; $(answers "connect_app_$clients"))" ">= 1.0x" "$(met "$r" '>=' 1.0)"
  else no_data "$figure" "app: $(answers "connect_app_$clients"); peer: $(answers "connect_peer_$clients")" ">= 1.0x"; fi
done
figure="Cold start with migrations (SQLite)"
if present cold_start_ms; then
  row "$figure" "$(get cold_start_ms) ms" "<= 1000 ms" "$(met "$(get cold_start_ms)" '<=' 1000)"
else no_data "$figure" "-" "<= 1000 ms"; fi
figure="RSS after the load: at once, 15 s later (at start)"
if present rss_after_kb rss_quiet_kb rss_idle_kb; then
  after=$(calc "$(get rss_after_kb) / 1024" 0)
  quiet=$(calc "$(get rss_quiet_kb) / 1024" 0)
  growth=$(calc "$(get rss_quiet_kb) / $(get rss_idle_kb)" 2)
  row "$figure" "$after MB, $quiet MB ($(calc "$(get rss_idle_kb) / 1024" 0) MB; ${growth}x)" "<= 1.5x at start" "$(met "$growth" '<=' 1.5)"
  row "... of which anonymous (the rest is mapped code and database pages): 15 s later (at start)" "$(calc "$(get anon_quiet_kb) / 1024" 0) MB ($(calc "$(get anon_idle_kb) / 1024" 0) MB)" "-" "-"
else no_data "$figure" "-" "<= 1.5x at start"; fi
echo
echo "Status counts, for checking that every request did what it should:"
grep -E '_statuses|_over_399|_socket_errors|peer_tokens' "$results" | sed 's/^/  /'
if [ ${#missing[@]} -gt 0 ]; then
  echo
  echo "No data for ${#missing[@]} row(s), counted as not met:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  echo "Read $results (the raw figures) and the logs beside it in $run/." >&2
  exit 1
fi
