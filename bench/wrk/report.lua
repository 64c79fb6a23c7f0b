-- Shared by the benchmark's wrk scripts (scripts/bench.sh): prints one machine-readable line at
-- the end. Load it with dofile(); a script that wants answers counted by status calls
-- count_statuses() (it costs wrk some speed, so the plain GETs do not).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

statuses = {}

function count_statuses()
  response = function(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local mix = {}
  for status, n in pairs(counts) do
    table.insert(mix, status .. ":" .. n)
  end
  table.sort(mix)
  local e = summary.errors
  io.write(string.format(
    "RESULT rps=%.1f p50=%.3f p99=%.3f requests=%d socket_errors=%d over_399=%d statuses=%s\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status,
    table.concat(mix, ",")))
end
