-- wrk script for bench/opa/run: POSTs the submissions of a JSON-lines file
-- in turn. Every request gets its own unit ("<thread>-<n>"), so figcheck's
-- result cache never answers: both servers evaluate every request.
--
-- Environment: BODIES (the .jsonl file), TARGET ("figcheck" or "opa"),
-- RESULT (a file the summary line is appended to), LABEL.
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BODIES")
  local opa = os.getenv("TARGET") == "opa"
  prefixes, suffixes = {}, {}
  for line in io.lines(path) do
    local i, j = string.find(line, '"unit":"[^"]*"')
    assert(i, "no unit in a submission")
    local pre, post = string.sub(line, 1, i - 1) .. '"unit":"', '"' .. string.sub(line, j + 1)
    if opa then
      pre, post = '{"input":' .. pre, post .. '}'
    end
    table.insert(prefixes, pre)
    table.insert(suffixes, post)
  end
  n = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local k = (n % #prefixes) + 1
  return wrk.format(nil, nil, nil, prefixes[k] .. tid .. "-" .. n .. suffixes[k])
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  local line = string.format(
    '{"label":"%s","requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"errors":%d}',
    os.getenv("LABEL") or "", summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors)
  local f = assert(io.open(os.getenv("RESULT"), "a"))
  f:write(line .. "\n")
  f:close()
  io.write(line .. "\n")
end
