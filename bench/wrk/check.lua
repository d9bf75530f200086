-- wrk script for POST /v1/check with the full shipped-form submission.
--
--   FIGCHECK_WRK_BODY   submission file (default api/testdata/full.json)
--   FIGCHECK_WRK_MODE   same   - the same body every time (cache hits)
--                       unique - a new unit name per request (cache misses)
--                       cycle  - FIGCHECK_WRK_CYCLE (16) bodies, round robin
--   FIGCHECK_WRK_RUN    a tag that makes unique bodies differ between runs
--
-- done() prints one machine-readable RESULT line.

local file = os.getenv("FIGCHECK_WRK_BODY") or "api/testdata/full.json"
local mode = os.getenv("FIGCHECK_WRK_MODE") or "same"
local run = os.getenv("FIGCHECK_WRK_RUN") or tostring(os.time())

local f = assert(io.open(file, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = body

local prefix, suffix = body:match('^(.-"unit"%s*:%s*")[^"]*(".*)$')
assert(prefix, "the body has no \"unit\"")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

if mode == "cycle" then
  local k = tonumber(os.getenv("FIGCHECK_WRK_CYCLE") or "16")
  local bodies = nil
  local i = 0
  function request()
    if not bodies then
      bodies = {}
      for j = 1, k do
        bodies[j] = wrk.format(nil, nil, nil, prefix .. "cycle-" .. j .. suffix)
      end
    end
    i = i % k + 1
    return bodies[i]
  end
elseif mode == "unique" then
  local n = 0
  function request()
    n = n + 1
    return wrk.format(nil, nil, nil, prefix .. "wrk-" .. run .. "-" .. tid .. "-" .. n .. suffix)
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
