-- wrk script: POSTs the bench's requests in rotation (one per tenant: its own access token and
-- its own body), counts answers that are not a clean GraphQL success, and prints one summary
-- line for bench/graphql/wrk.py to parse.
--   wrk -t2 -c16 -d10s -s rotate.lua http://127.0.0.1:PORT/graphql -- requests.lua
local prepared = {}
local next_index = 0
failures = 0 -- global: read by done() through thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads) -- threads start on different tenants
end

function init(args)
  for i, entry in ipairs(dofile(args[1])) do
    prepared[i] = wrk.format("POST", nil, {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer " .. entry.token,
    }, entry.body)
  end
  next_index = offset % #prepared
end

function request()
  next_index = next_index % #prepared + 1
  return prepared[next_index]
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d failures=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    failed, e.connect + e.read + e.write + e.timeout))
end
